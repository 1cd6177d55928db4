output "pipeline_arns" {
  description = "Pipeline ARNs by name (training, inference)."
  value       = { for k, p in aws_sagemaker_pipeline.this : k => p.arn }
}

output "schedule_expressions" {
  description = "Cron expression of each schedule."
  value       = { for k, s in aws_scheduler_schedule.this : k => s.schedule_expression }
}

output "alerts_topic_arn" {
  description = "SNS topic receiving failed-execution alerts."
  value       = aws_sns_topic.alerts.arn
}

output "dead_letter_queue_arn" {
  description = "Queue receiving schedule invocations that kept failing."
  value       = aws_sqs_queue.dlq.arn
}
