# Alarms per model on the metrics each inference run sends (src/inference/ml_inference/metrics.py)
# and the training pipeline's MonitorModel step sends (src/training/ml_training/monitor.py), all to
# one SNS topic. CloudWatch limits: Period a multiple of 60, Period x EvaluationPeriods at
# most 7 days (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
locals {
  alarms = merge(merge([for model, m in var.models : {
    "${model}-feature-drift" = {
      model       = model
      description = "${model}: a feature's PSI against the training rows reached monitoring.drift.fail_psi (${m.drift_fail_psi}) of models/${model}.yaml; the run stopped before publishing."
      metric      = "MaxFeaturePSI"
      statistic   = "Maximum"
      operator    = "GreaterThanOrEqualToThreshold"
      threshold   = m.drift_fail_psi
      periods     = 1
      period      = 3600
      missing     = "notBreaching"
    }
    "${model}-skipped-share" = {
      model       = model
      description = "${model}: more than ${m.max_skipped_share} of the population was skipped (no current features); check the feature pipelines."
      metric      = "SkippedShare"
      statistic   = "Maximum"
      operator    = "GreaterThanThreshold"
      threshold   = m.max_skipped_share
      periods     = 1
      period      = 3600
      missing     = "notBreaching"
    }
    "${model}-no-successful-run" = {
      model       = model
      description = "${model}: no successful inference run in ${var.alarm.stale_after_hours} h (every hour without a success counts)."
      metric      = "InferenceRunSucceeded"
      statistic   = "Sum"
      operator    = "LessThanThreshold"
      threshold   = 1
      periods     = var.alarm.stale_after_hours
      period      = 3600
      missing     = "breaching"
    }
    }]...),
    # RealisedRocAuc is sent once a day (each training run) and stamped with the send time;
    # days without enough labels send none, which is no reason to alarm.
    { for model, m in var.models : "${model}-realised-roc-auc" => {
      model       = model
      description = "${model}: the realised ROC-AUC of a recent scoring day (its predictions joined with the labels that arrived) fell below promotion.floor (${m.roc_auc_floor}) of models/${model}.yaml."
      metric      = "RealisedRocAuc"
      statistic   = "Minimum"
      operator    = "LessThanThreshold"
      threshold   = m.roc_auc_floor
      periods     = 1
      period      = 86400
      missing     = "notBreaching"
    } if m.roc_auc_floor != null }
  )
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each            = local.alarms
  alarm_name          = "${var.name_prefix}-${each.key}"
  alarm_description   = each.value.description
  namespace           = var.metrics.namespace
  metric_name         = each.value.metric
  dimensions          = { Model = each.value.model, Environment = var.metrics.environment }
  statistic           = each.value.statistic
  comparison_operator = each.value.operator
  threshold           = each.value.threshold
  period              = each.value.period
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  treat_missing_data  = each.value.missing
  alarm_actions       = [var.alarm.topic_arn]
  ok_actions          = [var.alarm.topic_arn]
  tags                = var.tags
}
