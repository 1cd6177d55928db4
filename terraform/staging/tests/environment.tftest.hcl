mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_region" {
    defaults = { name = "us-east-1" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mock" }
  }
  mock_resource "aws_s3_bucket" {
    defaults = { arn = "arn:aws:s3:::mock-bucket" }
  }
  mock_resource "aws_sagemaker_pipeline" {
    defaults = { arn = "arn:aws:sagemaker:us-east-1:123456789012:pipeline/mock" }
  }
  mock_resource "aws_sqs_queue" {
    defaults = { arn = "arn:aws:sqs:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_sns_topic" {
    defaults = { arn = "arn:aws:sns:us-east-1:123456789012:mock" }
  }
  mock_resource "aws_cloudwatch_event_rule" {
    defaults = { arn = "arn:aws:events:us-east-1:123456789012:rule/mock" }
  }
  mock_resource "aws_ecr_repository" {
    defaults = { arn = "arn:aws:ecr:us-east-1:123456789012:repository/mock" }
  }
}

# The environment root as `terraform apply` runs it here: terraform test reads terraform.tfvars
# too, and these replace its example values (account 123456789012 is the mocked one; no VPC).
variables {
  job_subnet_ids           = []
  job_security_group_ids   = []
  kafka_security_protocol  = "PLAINTEXT"
  kafka_sasl_mechanism     = ""
  kafka_cluster_arn        = ""
  environment              = "staging"
  aws_region               = "us-east-1"
  training_image_uri       = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-training@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  inference_image_uri      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-inference@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
  training_instance_type   = "ml.m5.large"
  inference_instance_type  = "ml.m5.large"
  training_hyperparameters = { churn = { n_estimators = "200", max_depth = "12" } }
  kafka_bootstrap_servers  = "b-1.example:9098"
  mlflow_tracking_uri      = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/ml-platform-staging"
  sagemaker_role_arn       = "arn:aws:iam::123456789012:role/ml-platform-staging-sagemaker-execution"
  feature_group_prefix     = "ml-platform-staging-"
  kms_key_id               = "alias/ml-platform-staging"
  data_uri                 = "s3://ml-platform-staging-data-123456789012"
  model_output_s3_uri      = "s3://ml-platform-staging-models-123456789012/training"
  report_s3_uri            = "s3://ml-platform-staging-models-123456789012/inference-reports"
  predictions_s3_uri       = "s3://ml-platform-staging-models-123456789012/predictions"
}

run "environment_from_specs_and_definitions" {
  command = apply

  assert {
    condition     = toset(keys(module.feature_store.feature_groups)) == toset([for f in fileset("../../feature_groups", "*.yaml") : trimsuffix(f, ".yaml")])
    error_message = "one feature group per spec file"
  }

  assert {
    condition     = module.feature_store.feature_groups["customer_profile"].name == "ml-platform-staging-customer_profile"
    error_message = "feature group names are <project>-<env>-<spec name>"
  }

  assert {
    condition     = module.pipelines.pipelines["churn-training"].schedule_expression == yamldecode(file("../../models/churn.yaml")).schedules.training
    error_message = "schedules use the model spec's cron expressions"
  }

  assert {
    condition     = length(module.pipelines.pipelines) == 2 * length(fileset("../../models", "*.yaml"))
    error_message = "a training and an inference pipeline per model spec"
  }

  assert {
    condition     = local.pipelines["churn-training"].parameters["TrainingOverrides"] == "{\"max_depth\":\"12\",\"n_estimators\":\"200\"}"
    error_message = "the environment's training settings of a model travel as TrainingOverrides"
  }

  assert {
    condition     = local.pipelines["churn-inference"].parameters["ModelSpecSha256"] == filesha256("../../models/churn.yaml")
    error_message = "the pipelines carry the spec file's sha256"
  }
}

run "creates_an_mlflow_server_when_asked" {
  command = apply

  variables {
    mlflow_tracking_uri           = ""
    create_mlflow_tracking_server = true
    job_subnet_ids                = ["subnet-0abc"]
    job_security_group_ids        = ["sg-0def"]
  }

  assert {
    condition     = aws_sagemaker_mlflow_tracking_server.this[0].tracking_server_name == "ml-platform-staging-mlflow"
    error_message = "the server is created"
  }

  assert {
    condition     = output.platform.mlflow_tracking_uri == "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/ml-platform-staging-mlflow"
    error_message = "the jobs use the created server"
  }
}

run "only_the_named_models_are_deployed" {
  command = plan

  variables {
    models = ["maintenance"]
  }

  assert {
    condition     = keys(local.pipelines) == ["maintenance-inference", "maintenance-training"]
    error_message = "models limits the deployed models"
  }
}

run "unknown_instance_type_is_refused" {
  command = plan

  variables {
    inference_instance_type = "m5.large"
  }

  expect_failures = [var.inference_instance_type]
}

run "unknown_environment_is_refused" {
  command = plan

  variables {
    environment = "qa"
  }

  expect_failures = [var.environment]
}

# The smallest environment: the feature store module's fixture groups and one fixture model.
run "an_environment_of_other_specs_plans" {
  command = plan

  variables {
    feature_specs_dir = "../modules/feature_store/tests/fixtures"
    model_specs_dir   = "tests/fixtures/models"
  }

  assert {
    condition     = toset(keys(module.feature_store.feature_groups)) == toset(["events_hourly", "archive_only"])
    error_message = "the fixture groups are deployed"
  }

  assert {
    condition     = toset(keys(local.pipelines)) == toset(["device-alerts-training", "device-alerts-inference"])
    error_message = "a training and an inference pipeline for the fixture model"
  }
}

run "a_setting_unlike_what_terraform_creates_is_refused" {
  command = plan

  variables {
    data_uri = "s3://some-other-bucket"
  }

  expect_failures = [terraform_data.settings]
}
