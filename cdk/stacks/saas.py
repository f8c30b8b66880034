"""The SaaS stack: storage, the customer event intake, the runtime layers and interruption handling."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.bundling import AssetFolders
from cdk.constructs.account_jobs import AccountJobs
from cdk.constructs.alarms import Alarms
from cdk.constructs.api import Api
from cdk.constructs.escalations import Escalations
from cdk.constructs.events import InterruptionEvents
from cdk.constructs.executions import Executions
from cdk.constructs.hibernation import Hibernation
from cdk.constructs.interruptions import QUEUE_VISIBILITY_TIMEOUT, Interruptions
from cdk.constructs.layers import Layers
from cdk.constructs.models import Models
from cdk.constructs.notifications import Notifications, grant_api
from cdk.constructs.scraping import Scraping
from cdk.constructs.storage import Storage
from cdk.constructs.sweeps import Sweeps
from cdk.settings import AppSettings
from cloudoptim.onboarding import EVENT_BUS_NAME


class SaasStack(Stack):
    """Everything the interruption pipeline of docs/platform-contract.md needs, in one account and region."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: AppSettings,
        assets: AssetFolders,
        env: Environment | None = None,
    ) -> None:
        super().__init__(scope, construct_id, env=env, description="CloudOptim SaaS: interruption pipeline")
        storage = Storage(self, "Storage")
        intake = InterruptionEvents(
            self,
            "Events",
            customer_accounts=settings.customer_accounts,
            visibility_timeout=QUEUE_VISIBILITY_TIMEOUT,
        )
        layers = Layers(self, "Layers", runtime_folder=assets.runtime_layer, deps_folders=assets.deps_layers)
        environment = {
            "REGISTRY_TABLE": storage.registry.table_name,
            "HIVE_MIND_TABLE": storage.hive_mind.table_name,
            "AUDIT_TABLE": storage.audit.table_name,
            "PRICES_TABLE": storage.prices.table_name,
            "POWERTOOLS_SERVICE_NAME": "cloudoptim",
        }
        if settings.local_endpoint_url:
            environment["AWS_ENDPOINT_URL"] = settings.local_endpoint_url
        interruptions = Interruptions(
            self,
            "Interruptions",
            storage=storage,
            events=intake,
            layers=layers,
            code=assets.functions,
            asl=settings.drain_and_replace_asl,
            environment=environment,
            ingest_environment={
                "IDEMPOTENCY_TABLE": storage.idempotency.table_name,
                "HIVE_MIND_TTL_SECONDS": str(settings.hive_mind_ttl_seconds),
                "DRY_RUN": "true" if settings.dry_run else "false",
                "WAIT_SECONDS": str(settings.wait_seconds),
            },
            log_retention=_retention(settings.log_retention_days),
        )
        escalations = Escalations(
            self, "Escalations", storage=storage, bus=intake.bus, layers=layers, code=assets.functions,
            environment=environment, drain_and_replace=interruptions.state_machine, ingest=interruptions.ingest,
            wait_seconds=settings.wait_seconds, log_retention=_retention(settings.log_retention_days),
        )  # fmt: skip
        models = Models(
            self,
            "Models",
            storage=storage,
            layers=layers,
            code=assets.functions,
            environment=environment,
            chooser=interruptions.steps["choose_replacement"],
            log_retention=_retention(settings.log_retention_days),
            regions=settings.price_regions,
        )
        api = Api(
            self,
            "Api",
            storage=storage,
            layers=layers,
            code=assets.functions,
            environment=environment,
            log_retention=_retention(settings.log_retention_days),
        )
        models.grant_operators(api.function, storage)  # the model registry's admin routes
        # The engines and the API read the freshest prices the scraping job stored (Gets and Queries only).
        for reader in (interruptions.steps["choose_replacement"], api.function):
            storage.prices.grant(reader.role, "dynamodb:GetItem", "dynamodb:Query")
        retention = _retention(settings.log_retention_days)
        scraping = Scraping(
            self, "Scraping", storage=storage, layers=layers, code=assets.functions, environment=environment,
            log_retention=retention, every_minutes=settings.scrape_every_minutes, regions=settings.price_regions,
            pricing_endpoint_url=settings.local_pricing_endpoint_url,
        )  # fmt: skip
        hibernation = Hibernation(
            self, "Hibernation", storage=storage, layers=layers, code=assets.functions, environment=environment,
            asl=settings.hibernate_asl, wait_seconds=settings.hibernate_wait_seconds, log_retention=retention,
        )  # fmt: skip
        sweeps = Sweeps(
            self, "Sweeps", storage=storage, layers=layers, code=assets.functions, environment=environment,
            asl=settings.sweep_asl, log_retention=retention, name=settings.sweep_state_machine_name,
        )  # fmt: skip
        executions = Executions(
            self, "Executions", storage=storage, layers=layers, code=assets.functions, environment=environment,
            asl=settings.execute_asl, wait_seconds=settings.execute_wait_seconds, log_retention=retention,
            sweep_state_machine_name=settings.sweep_state_machine_name,
        )  # fmt: skip
        # The API starts executions (approve) and sweeps (POST /v1/clusters/{id}/sweeps); a sweep's Decide step
        # starts the executions of what the policy runs automatically.
        api.function.function.add_environment("EXECUTION_STATE_MACHINE_ARN", executions.state_machine.state_machine_arn)
        api.function.function.add_environment("SWEEP_STATE_MACHINE_ARN", sweeps.arn)
        executions.state_machine.grant_start_execution(api.function.role)
        api.function.role.add_to_policy(iam.PolicyStatement(actions=["states:StartExecution"], resources=[sweeps.arn]))
        sweeps.step.function.add_environment("EXECUTION_STATE_MACHINE_ARN", executions.state_machine.state_machine_arn)
        executions.state_machine.grant_start_execution(sweeps.step.role)
        jobs = AccountJobs(
            self, "AccountJobs", storage=storage, layers=layers, code=assets.functions, environment=environment,
            log_retention=retention,
        )  # fmt: skip
        notifications = Notifications(
            self, "Notifications", storage=storage, layers=layers, code=assets.functions, environment=environment,
            log_retention=retention, execute_state_machine_arn=executions.state_machine.state_machine_arn,
            sender=settings.notification_sender, allow_loopback=settings.local_endpoint_url is not None,
        )  # fmt: skip
        grant_api(api.function)
        scheduled = {
            "scrape_prices": scraping.scrape, "fill_price_gaps": scraping.fill, "hibernation_tick": hibernation.tick,
            "hibernation_step": hibernation.step, "discover_clusters": jobs.discover, "waste_scan": jobs.waste,
            "sweep_step": sweeps.step,
            "execute_step": executions.step,
            "weekly_summary": notifications.weekly, "notify_event": notifications.alerts,
        }  # fmt: skip
        Alarms(
            self,
            "Alarms",
            dead_letter_queues={
                "InterruptionDLQ": intake.dead_letters,
                "EventDeliveryDLQ": intake.delivery_dead_letters,
                "EscalationDLQ": escalations.dead_letters,
                "NotificationDLQ": notifications.dead_letters,
            },
            functions={
                **{_pascal(name): fn.function for name, fn in interruptions.functions.items()},
                "Api": api.function.function,
                "AuditCheckpoint": api.checkpoint.function,
                **{_pascal(name): fn.function for name, fn in scheduled.items()},
                **{_pascal(name): fn.function for name, fn in models.functions.items()},
                "RebalancePool": escalations.function.function,
            },
            state_machine=interruptions.state_machine,
        )
        outputs = {
            "EventBusName": EVENT_BUS_NAME,  # literal: moto's CloudFormation resolves the bus's Ref to an object
            "EventBusArn": intake.bus.event_bus_arn,
            "InterruptionQueueUrl": intake.queue.queue_url,
            "InterruptionDLQUrl": intake.dead_letters.queue_url,
            "EventDeliveryDLQUrl": intake.delivery_dead_letters.queue_url,
            "RegistryTableName": storage.registry.table_name,
            "HiveMindTableName": storage.hive_mind.table_name,
            "IdempotencyTableName": storage.idempotency.table_name,
            "AuditTableName": storage.audit.table_name,
            "DrainAndReplaceArn": interruptions.state_machine.state_machine_arn,
            "ApiUrl": api.rest_api.url,
            "UserPoolId": api.user_pool.user_pool_id,
            "UserPoolClientId": api.client.user_pool_client_id,
            "AuditSigningKeyArn": api.signing_key.key_arn,
            "HibernateArn": hibernation.state_machine.state_machine_arn,
            "SweepArn": sweeps.state_machine.state_machine_arn,
            "SnapshotBucket": storage.snapshots.bucket_name,
            "ExecuteArn": executions.state_machine.state_machine_arn,
            "PricesTableName": storage.prices.table_name,
            "PriceArchiveBucket": storage.price_archive.bucket_name,
            "ModelBucketName": models.bucket.bucket_name,
            "ValidateModelArn": models.validate_machine.state_machine_arn,
            "ChangeModelArn": models.change_machine.state_machine_arn,
            "RetrainModelArn": models.retrain_machine.state_machine_arn,
            "EscalationQueueUrl": escalations.queue.queue_url,
            "NotificationDLQUrl": notifications.dead_letters.queue_url,
        }
        functions = {
            **interruptions.functions, **models.functions, "api": api.function, "audit_checkpoint": api.checkpoint,
            **scheduled, "rebalance_pool": escalations.function,
        }  # fmt: skip
        for name, fn in functions.items():
            outputs[_output_name(name)] = fn.function.function_name
        for key, value in outputs.items():
            CfnOutput(self, key, value=value)


def _pascal(function: str) -> str:
    return "".join(part.capitalize() for part in function.split("_"))


def _output_name(function: str) -> str:
    return _pascal(function) + "FunctionName"


_RETENTION = {
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    90: logs.RetentionDays.THREE_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


def _retention(days: int) -> logs.RetentionDays:
    return _RETENTION[days]
