output "bucket_names" {
  description = "Bucket names by purpose."
  value       = module.storage.bucket_names
}

output "repository_urls" {
  description = "ECR repository URLs (training, inference)."
  value       = module.ecr.repository_urls
}

output "feature_group_names" {
  description = "Deployed feature group names by spec name."
  value       = module.feature_store.feature_group_names
}

output "pipeline_arns" {
  description = "Pipeline ARNs (training, inference)."
  value       = module.pipelines.pipeline_arns
}

output "sagemaker_role_arn" {
  description = "SageMaker execution role."
  value       = module.iam.sagemaker_role_arn
}

output "alerts_topic_arn" {
  description = "SNS topic of failed-pipeline alerts."
  value       = module.pipelines.alerts_topic_arn
}

output "mlflow_tracking_uri" {
  description = "The MLflow tracking URI the jobs use (the created server's ARN, or the given URI)."
  value       = local.mlflow_uri
}

output "kms_key_alias" {
  description = "Alias of the platform key (the pipelines' KmsKeyId): alias/<project>-<environment>."
  value       = module.storage.kms_key_alias
}
