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
  glue                = "${local.arn_prefix}:glue:${local.region}:${local.account}"
  # MSK topic ARNs: arn:aws:kafka:<region>:<account>:topic/<cluster name>/<cluster uuid>/<topic>
  # (https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html#msk-iam-resources).
  kafka_topic_arns = [for topic in var.kafka.topics : "${replace(var.kafka.cluster_arn, ":cluster/", ":topic/")}/${topic}"]
  # The MLflow actions the training and inference jobs call (MLflow 3 client; names from
  # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerwithmlflow.html).
  mlflow_actions = [
    "CreateExperiment", "GetExperiment", "GetExperimentByName", "SearchExperiments",
    "CreateRun", "UpdateRun", "GetRun", "SearchRuns", "LogMetric", "LogParam", "LogBatch", "LogInputs",
    "LogModel", "SetTag", "GetMetricHistory", "ListArtifacts",
    "CreateLoggedModel", "FinalizeLoggedModel", "GetLoggedModel", "SearchLoggedModels", "LogLoggedModelParams",
    "SetLoggedModelTags", "ListLoggedModelArtifacts", "LogOutputs",
    "CreateRegisteredModel", "GetRegisteredModel", "SearchRegisteredModels", "CreateModelVersion",
    "GetModelVersion", "SearchModelVersions", "DeleteModelVersion", "SetRegisteredModelAlias",
    "GetModelVersionByAlias", "SetModelVersionTag", "GetDownloadURIForModelVersionArtifacts",
  ]
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
  tags               = var.tags
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
  # The role Feature Store uses to fill the offline store, as AWS's AmazonSageMakerFeatureStoreAccess
  # grants it, scoped to this platform's offline-store bucket and Feature Store's Glue database
  # (https://docs.aws.amazon.com/sagemaker/latest/dg/security-iam-awsmanpol-feature-store.html).
  statement {
    sid       = "OfflineStoreObjectAcl"
    actions   = ["s3:PutObjectAcl"]
    resources = ["${var.offline_store_bucket_arn}/*"]
  }
  statement {
    sid     = "OfflineStoreGlueTables"
    actions = ["glue:GetTable", "glue:UpdateTable"]
    resources = [
      "${local.glue}:catalog",
      "${local.glue}:database/sagemaker_featurestore",
      "${local.glue}:table/sagemaker_featurestore/*",
    ]
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
      sid       = "MlflowTracking"
      actions   = [for a in local.mlflow_actions : "sagemaker-mlflow:${a}"]
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
    for_each = var.metrics_namespace == "" ? [] : [1]
    content {
      # The jobs' metrics (inference runs, MonitorModel). PutMetricData has no resource-level permissions: the
      # condition limits it to the platform's namespace
      # (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
      sid       = "RunMetrics"
      actions   = ["cloudwatch:PutMetricData"]
      resources = ["*"]
      condition {
        test     = "StringEquals"
        variable = "cloudwatch:namespace"
        values   = [var.metrics_namespace]
      }
    }
  }
}

resource "aws_iam_role_policy" "sagemaker" {
  name   = "least-privilege"
  role   = aws_iam_role.sagemaker.id
  policy = data.aws_iam_policy_document.sagemaker.json
}

# -- Kafka: a policy of its own, built only from settings, so a plan shows it in full --------
data "aws_iam_policy_document" "kafka" {
  # Kafka over MSK IAM: connect and write idempotently to the cluster, describe and write the
  # models' topics (and create them when allowed). The job only produces: no group actions.
  # https://docs.aws.amazon.com/msk/latest/developerguide/kafka-actions.html
  dynamic "statement" {
    for_each = var.kafka.sasl_mechanism == "AWS_MSK_IAM" ? [1] : []
    content {
      sid       = "KafkaCluster"
      actions   = ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"]
      resources = [var.kafka.cluster_arn]
    }
  }
  dynamic "statement" {
    for_each = var.kafka.sasl_mechanism == "AWS_MSK_IAM" ? [1] : []
    content {
      sid       = "KafkaTopics"
      actions   = concat(["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], var.kafka.create_topics ? ["kafka-cluster:CreateTopic"] : [])
      resources = local.kafka_topic_arns
    }
  }

  # Kafka over SASL/SCRAM: read the AmazonMSK_ secret and decrypt it with its customer-managed key,
  # only through Secrets Manager (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html).
  dynamic "statement" {
    for_each = var.kafka.sasl_mechanism == "SCRAM-SHA-512" ? [1] : []
    content {
      sid       = "KafkaSecret"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = [var.kafka.secret_arn]
    }
  }
  dynamic "statement" {
    for_each = var.kafka.sasl_mechanism == "SCRAM-SHA-512" ? [1] : []
    content {
      sid       = "KafkaSecretKey"
      actions   = ["kms:Decrypt"]
      resources = [var.kafka.secret_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["secretsmanager.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "kafka" {
  count  = var.kafka.sasl_mechanism == "" ? 0 : 1
  name   = "kafka"
  role   = aws_iam_role.sagemaker.name
  policy = data.aws_iam_policy_document.kafka.json
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
  tags               = var.tags
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
