output "platform" {
  description = "Names and ARNs of what the environment created."
  value = {
    buckets        = module.platform.bucket_names
    repositories   = module.platform.repository_urls
    feature_groups = module.platform.feature_group_names
    pipelines      = module.platform.pipeline_arns
    sagemaker_role = module.platform.sagemaker_role_arn
    alerts_topic   = module.platform.alerts_topic_arn
  }
}
