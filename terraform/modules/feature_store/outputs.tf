output "feature_group_names" {
  description = "Deployed feature group names by spec name."
  value       = { for k, g in aws_sagemaker_feature_group.this : k => g.feature_group_name }
}

output "feature_group_arns" {
  description = "Feature group ARNs by spec name."
  value       = { for k, g in aws_sagemaker_feature_group.this : k => g.arn }
}
