# The real provider, offline: IAM policy documents are computed locally; the one data source
# that would call AWS is overridden.
provider "aws" {
  region                      = "us-east-1"
  access_key                  = "offline"
  secret_key                  = "offline"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

override_data {
  target = data.aws_caller_identity.current
  values = { account_id = "123456789012" }
}

variables {
  name_prefix                = "ml-platform-test"
  bucket_arns                = ["arn:aws:s3:::ml-platform-test-data-123456789012", "arn:aws:s3:::ml-platform-test-offline-store-123456789012"]
  offline_store_bucket_arn   = "arn:aws:s3:::ml-platform-test-offline-store-123456789012"
  kms_key_arn                = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  repository_arns            = ["arn:aws:ecr:us-east-1:123456789012:repository/ml-platform-test-training"]
  mlflow_tracking_server_arn = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/ml-platform-test"
}

run "no_wildcard_actions_and_scoped_resources" {
  command = plan

  assert {
    condition     = aws_iam_role.sagemaker.name == "ml-platform-test-sagemaker-execution"
    error_message = "unexpected execution role name"
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(data.aws_iam_policy_document.sagemaker.json).Statement :
      [for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")]
    ]))
    error_message = "the execution role grants a wildcard action"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.sagemaker.json).Statement :
      !contains(flatten([s.Resource]), "*") || alltrue([for a in flatten([s.Action]) : a == "ecr:GetAuthorizationToken" || startswith(a, "ec2:Describe") || (a == "cloudwatch:PutMetricData" && try(s.Condition.StringEquals["cloudwatch:namespace"], "") != "")])
    ])
    error_message = "only actions without resource-level permissions (ecr:GetAuthorizationToken, ec2:Describe*, cloudwatch:PutMetricData limited to a namespace) may use Resource *"
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(data.aws_iam_policy_document.scheduler.json).Statement :
      [for a in flatten([s.Action]) : a != "*" && !endswith(a, ":*")]
    ]))
    error_message = "the scheduler role grants a wildcard action"
  }
}

run "vpc_adds_scoped_network_permissions" {
  command = plan

  variables {
    vpc_config = { subnet_ids = ["subnet-0abc"], security_group_ids = ["sg-0def"] }
  }

  assert {
    condition = contains(flatten([
      for s in jsondecode(data.aws_iam_policy_document.sagemaker.json).Statement : flatten([s.Resource]) if s.Sid == "JobNetworkInterfaces"
    ]), "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0abc")
    error_message = "network interface permissions are scoped to the given subnets"
  }
}

run "msk_iam_grants_the_producer_actions_on_the_cluster_and_its_topics" {
  command = plan

  variables {
    kafka = {
      sasl_mechanism = "AWS_MSK_IAM"
      cluster_arn    = "arn:aws:kafka:us-east-1:123456789012:cluster/events/0123-abcd"
      topics         = ["a-predictions", "b-predictions"]
    }
  }

  assert {
    condition = jsondecode(data.aws_iam_policy_document.kafka.json).Statement == [
      {
        Sid      = "KafkaCluster", Effect = "Allow",
        Action   = ["kafka-cluster:WriteDataIdempotently", "kafka-cluster:Connect"],
        Resource = "arn:aws:kafka:us-east-1:123456789012:cluster/events/0123-abcd"
      },
      {
        Sid    = "KafkaTopics", Effect = "Allow",
        Action = ["kafka-cluster:WriteData", "kafka-cluster:DescribeTopic"],
        Resource = [
          "arn:aws:kafka:us-east-1:123456789012:topic/events/0123-abcd/b-predictions",
          "arn:aws:kafka:us-east-1:123456789012:topic/events/0123-abcd/a-predictions",
        ]
      },
    ]
    error_message = "MSK IAM: Connect and WriteDataIdempotently on the cluster, DescribeTopic and WriteData on each topic"
  }
}

run "scram_secret_must_be_named_for_msk" {
  command = plan

  variables {
    kafka = {
      sasl_mechanism     = "SCRAM-SHA-512"
      secret_arn         = "arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-user-AbCdEf"
      secret_kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  expect_failures = [var.kafka]
}

run "bucket_wildcards_are_refused" {
  command = plan

  variables {
    bucket_arns = ["arn:aws:s3:::*"]
  }

  expect_failures = [var.bucket_arns]
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  override_data {
    target = module.iam.data.aws_caller_identity.current
    values = { account_id = "123456789012" }
  }

  assert {
    condition     = module.iam.sagemaker_role_arn == "arn:aws:iam::123456789012:role/example-staging-sagemaker-execution"
    error_message = "the example's execution role is named after its prefix"
  }
}
