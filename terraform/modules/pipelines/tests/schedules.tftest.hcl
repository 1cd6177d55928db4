mock_provider "aws" {}

variables {
  name_prefix        = "ml-platform-test"
  definitions_dir    = "../../../pipelines"
  sagemaker_role_arn = "arn:aws:iam::123456789012:role/ml-platform-test-sagemaker-execution"
  scheduler_role_arn = "arn:aws:iam::123456789012:role/ml-platform-test-scheduler"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  pipelines = {
    model-a-training  = { kind = "training", schedule_expression = "cron(0 2 * * ? *)", parameters = { Model = "model-a" } }
    model-a-inference = { kind = "inference", schedule_expression = "cron(0 6 * * ? *)", parameters = { Model = "model-a", BatchSize = "" } }
    model-b-training  = { kind = "training", parameters = { Model = "model-b" } }
  }
}

run "pipelines_and_schedules" {
  command = plan

  assert {
    condition     = aws_sagemaker_pipeline.this["model-b-training"].pipeline_definition == file("../../../pipelines/training.json")
    error_message = "every model's training pipeline must deploy pipelines/training.json unchanged"
  }

  assert {
    condition     = aws_sagemaker_pipeline.this["model-a-inference"].pipeline_name == "ml-platform-test-model-a-inference"
    error_message = "pipelines are named <prefix>-<model>-<kind>"
  }

  assert {
    condition     = aws_scheduler_schedule.this["model-a-training"].schedule_expression == "cron(0 2 * * ? *)"
    error_message = "training schedule expression"
  }

  assert {
    condition     = keys(aws_scheduler_schedule.this) == ["model-a-inference", "model-a-training"]
    error_message = "a pipeline without a schedule expression gets no schedule"
  }

  assert {
    condition     = one(aws_scheduler_schedule.this["model-a-inference"].target[0].sagemaker_pipeline_parameters[0].pipeline_parameter).value == "model-a"
    error_message = "inference schedule parameters (empty values left to the definition's default)"
  }

  assert {
    condition     = aws_scheduler_schedule.this["model-a-training"].target[0].retry_policy[0].maximum_retry_attempts == 3
    error_message = "schedules retry"
  }
}

run "vpc_config_is_added_to_each_step" {
  command = plan

  variables {
    vpc_config = { subnet_ids = ["subnet-0abc"], security_group_ids = ["sg-0def"] }
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["model-a-training"].pipeline_definition).Steps[0].Arguments.VpcConfig.Subnets == ["subnet-0abc"]
    error_message = "training step runs in the VPC"
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["model-a-inference"].pipeline_definition).Steps[0].Arguments.NetworkConfig.VpcConfig.SecurityGroupIds == ["sg-0def"]
    error_message = "processing step runs in the VPC"
  }

  assert {
    condition     = jsondecode(aws_sagemaker_pipeline.this["model-a-inference"].pipeline_definition).Parameters == jsondecode(file("../../../pipelines/inference.json")).Parameters
    error_message = "everything else is the runner's definition"
  }
}

run "malformed_cron_is_refused" {
  command = plan

  variables {
    pipelines = {
      model-a-training = { kind = "training", schedule_expression = "0 2 * * *", parameters = {} }
    }
  }

  expect_failures = [var.pipelines]
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = [for k, p in module.pipelines.pipelines : k if p.schedule_expression != null] == []
    error_message = "a pipeline without a schedule_expression gets no schedule"
  }
}
