data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  arn_prefix = "arn:${data.aws_partition.current.partition}"
  region     = data.aws_region.current.name
  account    = data.aws_caller_identity.current.account_id
  sagemaker  = "${local.arn_prefix}:sagemaker:${local.region}:${local.account}"
  # Known at plan time (the role's ARN attribute is not), so the policy can be reviewed in a plan.
  sagemaker_role_name = "${var.name_prefix}-sagemaker-execution"
  sagemaker_role_arn  = "${local.arn_prefix}:iam::${local.account}:role/${local.sagemaker_role_name}"
}

# -- SageMaker execution role: the pipelines, their jobs and the feature store use it ------
data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "sagemaker" {
  name               = local.sagemaker_role_name
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

data "aws_iam_policy_document" "sagemaker" {
  statement {
    sid       = "DataBuckets"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = [for b in var.bucket_arns : "${b}/*"]
  }
  statement {
    sid       = "ListDataBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketAcl"]
    resources = var.bucket_arns
  }
  statement {
    sid       = "PlatformKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:DescribeKey", "kms:CreateGrant"]
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "PullImages"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = var.repository_arns
  }
  statement {
    # GetAuthorizationToken has no resource-level permissions in IAM: it only returns a login token.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "JobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.arn_prefix}:logs:${local.region}:${local.account}:log-group:/aws/sagemaker/*"]
  }
  statement {
    sid       = "FeatureStore"
    actions   = ["sagemaker:PutRecord", "sagemaker:GetRecord", "sagemaker:BatchGetRecord", "sagemaker:DeleteRecord", "sagemaker:DescribeFeatureGroup"]
    resources = ["${local.sagemaker}:feature-group/${var.name_prefix}-*"]
  }
  statement {
    sid = "PipelineJobs"
    actions = [
      "sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
      "sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
      "sagemaker:AddTags",
    ]
    resources = [
      "${local.sagemaker}:training-job/*",
      "${local.sagemaker}:processing-job/*",
      "${local.sagemaker}:pipeline/${var.name_prefix}-*",
    ]
  }
  statement {
    sid       = "PassOwnRoleToJobs"
    actions   = ["iam:PassRole"]
    resources = [local.sagemaker_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["sagemaker.amazonaws.com"]
    }
  }

  dynamic "statement" {
    for_each = var.mlflow_tracking_server_arn == "" ? [] : [1]
    content {
      sid = "MlflowTracking"
      actions = [
        "sagemaker-mlflow:AccessUI", "sagemaker-mlflow:CreateExperiment", "sagemaker-mlflow:SearchExperiments",
        "sagemaker-mlflow:GetExperiment", "sagemaker-mlflow:GetExperimentByName", "sagemaker-mlflow:CreateRun",
        "sagemaker-mlflow:UpdateRun", "sagemaker-mlflow:GetRun", "sagemaker-mlflow:LogMetric",
        "sagemaker-mlflow:LogParam", "sagemaker-mlflow:LogBatch", "sagemaker-mlflow:LogModel",
        "sagemaker-mlflow:LogInputs", "sagemaker-mlflow:SetTag", "sagemaker-mlflow:CreateRegisteredModel",
        "sagemaker-mlflow:GetRegisteredModel", "sagemaker-mlflow:SearchRegisteredModels",
        "sagemaker-mlflow:CreateModelVersion", "sagemaker-mlflow:GetModelVersion",
        "sagemaker-mlflow:SearchModelVersions", "sagemaker-mlflow:DeleteModelVersion",
        "sagemaker-mlflow:SetRegisteredModelAlias", "sagemaker-mlflow:GetModelVersionByAlias",
        "sagemaker-mlflow:SetModelVersionTag", "sagemaker-mlflow:GetDownloadURIForModelVersionArtifacts",
      ]
      resources = [var.mlflow_tracking_server_arn]
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]
    content {
      sid     = "JobNetworkInterfaces"
      actions = ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission", "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"]
      resources = concat(
        [for s in var.vpc_config.subnet_ids : "${local.arn_prefix}:ec2:${local.region}:${local.account}:subnet/${s}"],
        [for g in var.vpc_config.security_group_ids : "${local.arn_prefix}:ec2:${local.region}:${local.account}:security-group/${g}"],
        ["${local.arn_prefix}:ec2:${local.region}:${local.account}:network-interface/*"],
      )
    }
  }

  dynamic "statement" {
    for_each = var.vpc_config == null ? [] : [1]
    content {
      # EC2 Describe* calls have no resource-level permissions.
      sid       = "DescribeJobNetwork"
      actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeVpcs", "ec2:DescribeDhcpOptions", "ec2:DescribeSubnets", "ec2:DescribeSecurityGroups"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.kafka_secret_arn == "" ? [] : [1]
    content {
      sid       = "KafkaSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.kafka_secret_arn]
    }
  }
}

resource "aws_iam_role_policy" "sagemaker" {
  name   = "least-privilege"
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.sagemaker.json
}

# -- EventBridge Scheduler role: starts this environment's pipelines, dead-letters failures --
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartPipelines"
    actions   = ["sagemaker:StartPipelineExecution"]
    resources = ["${local.sagemaker}:pipeline/${var.name_prefix}-*"]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = ["${local.arn_prefix}:sqs:${local.region}:${local.account}:${var.name_prefix}-schedules-dlq"]
  }
  statement {
    sid       = "EncryptDeadLetters"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "start-pipelines"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
