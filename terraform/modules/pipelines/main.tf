locals {
  kinds = toset(["training", "inference"])
  # The definitions are the files the local runner executes. A VPC is a deployment concern the
  # runner has no use for: when one is given, its config is added to each step here.
  files = { for p in local.kinds : p => file("${var.definitions_dir}/${p}.json") }
  vpc   = var.vpc_config == null ? null : { Subnets = var.vpc_config.subnet_ids, SecurityGroupIds = var.vpc_config.security_group_ids }
  network = {
    Training   = jsonencode({ VpcConfig = local.vpc })
    Processing = jsonencode({ NetworkConfig = { VpcConfig = local.vpc } })
  }
  definitions = { for p, text in local.files : p => var.vpc_config == null ? text : jsonencode(merge(jsondecode(text), {
    Steps = [for s in jsondecode(text).Steps : merge(s, { Arguments = merge(s.Arguments, jsondecode(local.network[s.Type])) })]
  })) }
}

# One pipeline per model and kind (<model>-training, <model>-inference): the same definition
# file for every model; only the parameters of its executions differ.
resource "aws_sagemaker_pipeline" "this" {
  for_each              = var.pipelines
  pipeline_name         = "${var.name_prefix}-${each.key}"
  pipeline_display_name = "${var.name_prefix}-${each.key}"
  pipeline_description  = "ml-platform ${each.value.kind} pipeline of ${each.key}"
  role_arn              = var.sagemaker_role_arn
  # The same file the local runner executes (written by scripts/render_pipelines.py).
  pipeline_definition = local.definitions[each.value.kind]
  tags                = var.tags
}

# -- schedules: EventBridge Scheduler with retries and a dead-letter queue ------------------
resource "aws_sqs_queue" "dlq" {
  name                      = "${var.name_prefix}-schedules-dlq"
  kms_master_key_id         = var.kms_key_arn
  message_retention_seconds = 1209600
  tags                      = var.tags
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = { for k, v in var.pipelines : k => v if v.schedule_expression != null }
  name                         = "${var.name_prefix}-${each.key}"
  description                  = "Starts the ${each.key} pipeline: ${each.value.schedule_expression} (UTC)"
  schedule_expression          = each.value.schedule_expression
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arn

  flexible_time_window {
    mode = "OFF"
  }

  # Schedule names: at most 64 of [0-9a-zA-Z-_.] (AWS::Scheduler::Schedule, Name:
  # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-scheduler-schedule.html).
  lifecycle {
    precondition {
      condition     = length("${var.name_prefix}-${each.key}") <= 64
      error_message = "Schedule name ${var.name_prefix}-${each.key} is longer than EventBridge Scheduler's 64 characters; shorten the model name or the project name."
    }
  }

  target {
    arn      = aws_sagemaker_pipeline.this[each.key].arn
    role_arn = var.scheduler_role_arn

    sagemaker_pipeline_parameters {
      dynamic "pipeline_parameter" {
        # An empty value is not allowed here; the definition's default applies instead.
        for_each = { for k, v in each.value.parameters : k => v if v != "" }
        content {
          name  = pipeline_parameter.key
          value = pipeline_parameter.value
        }
      }
    }

    retry_policy {
      maximum_retry_attempts       = var.retry_attempts
      maximum_event_age_in_seconds = 3600
    }

    dead_letter_config {
      arn = aws_sqs_queue.dlq.arn
    }
  }
}

# -- alerts: a failed execution of either pipeline -> SNS ----------------------------------
resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-pipeline-alerts"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alert_emails)
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_event_rule" "failed" {
  name        = "${var.name_prefix}-pipeline-failed"
  description = "A ${var.name_prefix} pipeline execution failed"
  event_pattern = jsonencode({
    source        = ["aws.sagemaker"]
    "detail-type" = ["SageMaker Model Building Pipeline Execution Status Change"]
    detail = {
      currentPipelineExecutionStatus = ["Failed"]
      pipelineArn                    = [for p in aws_sagemaker_pipeline.this : p.arn]
    }
  })
  tags = var.tags
}

resource "aws_cloudwatch_event_target" "failed" {
  rule      = aws_cloudwatch_event_rule.failed.name
  target_id = "sns"
  arn       = aws_sns_topic.alerts.arn
}

data "aws_iam_policy_document" "alerts" {
  statement {
    sid       = "EventBridgePublishes"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.failed.arn]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}
