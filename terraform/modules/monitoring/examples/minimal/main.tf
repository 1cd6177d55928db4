# The smallest use of the module: one model's alarms. Planned by the module's terraform test.
module "monitoring" {
  source      = "../.."
  name_prefix = "example-staging"
  metrics     = { environment = "staging" }
  models      = { churn = { drift_fail_psi = 0.25, max_skipped_share = 0.2, roc_auc_floor = 0.6 } }
  alarm       = { topic_arn = "arn:aws:sns:us-east-1:123456789012:example-staging-alerts" }
}

output "alarms" {
  value = module.monitoring.alarms
}
