mock_provider "aws" {}

variables {
  name_prefix        = "ml-platform-test"
  definitions_dir    = "../../../pipelines"
  sagemaker_role_arn = "arn:aws:iam::123456789012:role/ml-platform-test-sagemaker-execution"
  scheduler_role_arn = "arn:aws:iam::123456789012:role/ml-platform-test-scheduler"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  schedules = {
    training  = { schedule_expression = "cron(0 2 * * ? *)", parameters = { NEstimators = "200" } }
    inference = { schedule_expression = "cron(0 6 * * ? *)", parameters = { KafkaTopic = "ml-predictions-test" } }
  }
}

run "pipelines_and_schedules" {
  command = plan

  assert {
    condition     = aws_sagemaker_pipeline.this["training"].pipeline_definition == file("../../../pipelines/training.json")
    error_message = "the training pipeline must deploy pipelines/training.json unchanged"
  }

  assert {
    condition     = aws_scheduler_schedule.this["training"].schedule_expression == "cron(0 2 * * ? *)"
    error_message = "training schedule expression"
  }

  assert {
    condition     = one(aws_scheduler_schedule.this["inference"].target[0].sagemaker_pipeline_parameters[0].pipeline_parameter).value == "ml-predictions-test"
    error_message = "inference schedule parameters"
  }

  assert {
    condition     = aws_scheduler_schedule.this["training"].target[0].retry_policy[0].maximum_retry_attempts == 3
    error_message = "schedules retry"
  }
}

run "vpc_config_is_added_to_each_step" {
  command = plan

  variables {
    vpc_config = { subnet_ids = ["subnet-0abc"], security_group_ids = ["sg-0def"] }
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["training"].pipeline_definition).Steps[0].Arguments.VpcConfig.Subnets == ["subnet-0abc"]
    error_message = "training step runs in the VPC"
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["inference"].pipeline_definition).Steps[0].Arguments.NetworkConfig.VpcConfig.SecurityGroupIds == ["sg-0def"]
    error_message = "processing step runs in the VPC"
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["inference"].pipeline_definition).Parameters == jsondecode(file("../../../pipelines/inference.json")).Parameters
    error_message = "everything else is the runner's definition"
  }
}

run "malformed_cron_is_refused" {
  command = plan

  variables {
    schedules = {
      training = { schedule_expression = "0 2 * * *", parameters = {} }
    }
  }

  expect_failures = [var.schedules]
}
