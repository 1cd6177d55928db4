output "feature_groups" {
  description = "The deployed feature groups by spec name: name and arn of each."
  value       = { for k, g in aws_sagemaker_feature_group.this : k => { name = g.feature_group_name, arn = g.arn } }
}
