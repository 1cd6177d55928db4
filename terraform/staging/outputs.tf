output "platform" {
  description = "What the environment created, by name: buckets and ECR repository URLs by purpose, feature groups by spec, pipeline ARNs, the SageMaker execution role, the failed-pipeline alert topic, the MLflow tracking URI the jobs use (a created server's ARN, or the given URI) the platform key's alias (the pipelines' KmsKeyId) and the monitoring alarms by <model>-<kind>."
  value = {
    buckets             = module.storage.bucket_names
    repositories        = { for k, r in module.ecr.repositories : k => r.url }
    feature_groups      = { for k, g in module.feature_store.feature_groups : k => g.name }
    pipelines           = { for k, p in module.pipelines.pipelines : k => p.arn }
    sagemaker_role_arn  = module.iam.sagemaker_role_arn
    alerts_topic_arn    = module.pipelines.alerts_topic_arn
    mlflow_tracking_uri = local.mlflow_uri
    kms_key_alias       = module.storage.kms_key_alias
    alarms              = { for k, a in module.monitoring.alarms : k => a.name }
  }
}
