output "platform" {
  description = "What the environment created, by name: buckets and ECR repository URLs by purpose, feature groups by spec, pipeline ARNs, the SageMaker execution role, the failed-pipeline alert topic, the MLflow tracking URI the jobs use (a created server's ARN, or the given URI) and the platform key's alias (the pipelines' KmsKeyId)."
  value = {
    buckets             = module.storage.bucket_names
    repositories        = module.ecr.repository_urls
    feature_groups      = module.feature_store.feature_group_names
    pipelines           = module.pipelines.pipeline_arns
    sagemaker_role_arn  = module.iam.sagemaker_role_arn
    alerts_topic_arn    = module.pipelines.alerts_topic_arn
    mlflow_tracking_uri = local.mlflow_uri
    kms_key_alias       = module.storage.kms_key_alias
  }
}
