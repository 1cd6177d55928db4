mock_provider "aws" {}

variables {
  name_prefix = "ml-platform-test"
  metrics     = { environment = "staging" }
  models = {
    churn       = { drift_fail_psi = 0.3, max_skipped_share = 0.2, roc_auc_floor = 0.65 }
    maintenance = { drift_fail_psi = 0.25, max_skipped_share = 0.1 }
  }
  alarm = { topic_arn = "arn:aws:sns:us-east-1:123456789012:ml-platform-test-alerts" }
}

run "alarms_per_model_on_the_jobs_metrics" {
  command = plan

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 7
    error_message = "drift, skipped share and staleness per model, realised ROC-AUC where a floor is given"
  }

  assert {
    condition     = !contains(keys(aws_cloudwatch_metric_alarm.this), "maintenance-realised-roc-auc")
    error_message = "no realised-quality alarm without a floor"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.this["churn-realised-roc-auc"].threshold == 0.65
      && aws_cloudwatch_metric_alarm.this["churn-realised-roc-auc"].comparison_operator == "LessThanThreshold"
      && aws_cloudwatch_metric_alarm.this["churn-realised-roc-auc"].metric_name == "RealisedRocAuc"
      && aws_cloudwatch_metric_alarm.this["churn-realised-roc-auc"].period == 86400
    && aws_cloudwatch_metric_alarm.this["churn-realised-roc-auc"].treat_missing_data == "notBreaching")
    error_message = "the realised-quality alarm fires below the floor, judged daily, quiet while labels are missing"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["churn-feature-drift"].threshold == 0.3 && aws_cloudwatch_metric_alarm.this["churn-feature-drift"].metric_name == "MaxFeaturePSI"
    error_message = "the drift alarm fires at the model's fail_psi"
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.this["maintenance-skipped-share"].threshold == 0.1
    error_message = "the skipped-share alarm uses the model's limit"
  }

  assert {
    condition = (aws_cloudwatch_metric_alarm.this["churn-no-successful-run"].treat_missing_data == "breaching"
    && aws_cloudwatch_metric_alarm.this["churn-no-successful-run"].evaluation_periods * aws_cloudwatch_metric_alarm.this["churn-no-successful-run"].period == 26 * 3600)
    error_message = "no successful run in 26 hours: missing data counts"
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:ml-platform-test-alerts"]) && a.dimensions.Environment == "staging" && a.namespace == "MLPlatform"])
    error_message = "every alarm notifies the topic and watches this environment's metrics"
  }
}

run "a_floor_outside_0_1_is_refused" {
  command = plan

  variables {
    models = { churn = { drift_fail_psi = 0.3, max_skipped_share = 0.2, roc_auc_floor = 1.5 } }
  }

  expect_failures = [var.models]
}

run "a_week_or_more_of_staleness_is_refused" {
  command = plan

  variables {
    alarm = { topic_arn = "arn:aws:sns:us-east-1:123456789012:ml-platform-test-alerts", stale_after_hours = 200 }
  }

  expect_failures = [var.alarm]
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = toset(keys(module.monitoring.alarms)) == toset(["churn-feature-drift", "churn-skipped-share", "churn-no-successful-run", "churn-realised-roc-auc"])
    error_message = "the example's model gets its four alarms"
  }
}
