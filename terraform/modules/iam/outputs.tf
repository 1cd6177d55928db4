output "sagemaker_role_arn" {
  description = "ARN of the SageMaker execution role (pipelines, jobs, feature store); known at plan time."
  value       = local.sagemaker_role_arn
  depends_on  = [aws_iam_role.sagemaker, aws_iam_role_policy.sagemaker]
}

output "scheduler_role_arn" {
  description = "ARN of the role EventBridge Scheduler assumes to start the pipelines."
  value       = aws_iam_role.scheduler.arn
}

output "sagemaker_policy_json" {
  description = "The execution role's policy document (for review and tests)."
  value       = data.aws_iam_policy_document.sagemaker.json
}
