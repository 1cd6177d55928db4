output "interface_endpoint_ids" {
  description = "Interface endpoint ids by service key (sagemaker_api, featurestore, mlflow, ...)."
  value       = { for k, e in aws_vpc_endpoint.interface : k => e.id }
}

output "s3_endpoint_id" {
  description = "The S3 gateway endpoint id."
  value       = aws_vpc_endpoint.s3.id
}

output "security_group_id" {
  description = "The endpoints' security group (HTTPS from the jobs)."
  value       = aws_security_group.endpoints.id
}
