import dagster as dg

from procurement_pipeline.defs.alerts.resources import mailer_from_env
from procurement_pipeline.defs.alerts.sensors import (
    build_notification_sensor,
    build_retraining_sensor,
    retrain_job,
)

# Settings resolved once, when the definitions load: the sensors start running only when
# e-mail is configured (their descriptions say which variables to set otherwise).
mailer = mailer_from_env()

defs = dg.Definitions(
    jobs=[retrain_job],
    sensors=[
        build_retraining_sensor(mailer.is_configured),
        build_notification_sensor(mailer.is_configured),
    ],
    resources={"mailer": mailer},
)
