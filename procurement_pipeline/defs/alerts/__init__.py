import dagster as dg

from procurement_pipeline.defs.alerts.sensors import build_notification_sensor
from procurement_pipeline.defs.environment import mail_configured

# The e-mail sensor starts running only when e-mail is configured where the definitions load
# (its description says which variables to set otherwise). Nothing else depends on e-mail:
# the automation runs either way. Its `mailer` resource is bound in definitions.py.
defs = dg.Definitions(sensors=[build_notification_sensor(mail_configured())])
