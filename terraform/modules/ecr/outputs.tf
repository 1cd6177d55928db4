output "repositories" {
  description = "The repositories by short name (training, inference): name, url and arn of each."
  value       = { for k, r in aws_ecr_repository.this : k => { name = r.name, url = r.repository_url, arn = r.arn } }
}
