output "alarms" {
  description = "The alarms by <model>-<kind> (feature-drift, skipped-share, no-successful-run, realised-roc-auc): name and arn of each."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => { name = a.alarm_name, arn = a.arn } }
}
