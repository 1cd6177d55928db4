output "pipelines" {
  description = "The pipelines by name (<model>-training, <model>-inference): arn, and the cron of its schedule (null: no schedule)."
  value = { for k, p in aws_sagemaker_pipeline.this : k => {
    arn                 = p.arn
    schedule_expression = try(aws_scheduler_schedule.this[k].schedule_expression, null)
  } }
}

output "alerts_topic_arn" {
  description = "SNS topic receiving failed-execution alerts."
  value       = aws_sns_topic.alerts.arn
}

output "dead_letter_queue_arn" {
  description = "Queue receiving schedule invocations that kept failing."
  value       = aws_sqs_queue.dlq.arn
}
