import dagster as dg

from procurement_pipeline.defs.alerts.resources import mailer_from_env
from procurement_pipeline.defs.alerts.sensors import build_notification_sensor

# Settings resolved once, when the definitions load: the e-mail sensor starts running only
# when e-mail is configured (its description says which variables to set otherwise). Nothing
# else depends on e-mail: the automation runs either way.
mailer = mailer_from_env()

defs = dg.Definitions(
    sensors=[build_notification_sensor(mailer.is_configured)],
    resources={"mailer": mailer},
)
