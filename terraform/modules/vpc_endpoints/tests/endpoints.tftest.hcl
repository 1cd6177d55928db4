mock_provider "aws" {
  override_data {
    target = data.aws_region.current
    values = { name = "eu-west-1" }
  }
}

variables {
  name_prefix               = "ml-platform-test"
  vpc_id                    = "vpc-0abc"
  subnet_ids                = ["subnet-0a", "subnet-0b"]
  route_table_ids           = ["rtb-0a"]
  client_security_group_ids = ["sg-0ab"]
}

run "every_service_the_jobs_call_has_an_endpoint" {
  command = plan

  assert {
    condition = toset([for e in aws_vpc_endpoint.interface : e.service_name]) == toset([
      "com.amazonaws.eu-west-1.sagemaker.api",
      "com.amazonaws.eu-west-1.sagemaker.featurestore-runtime",
      "aws.sagemaker.eu-west-1.experiments",
      "com.amazonaws.eu-west-1.ecr.api",
      "com.amazonaws.eu-west-1.ecr.dkr",
      "com.amazonaws.eu-west-1.logs",
      "com.amazonaws.eu-west-1.sts",
      "com.amazonaws.eu-west-1.kms",
    ])
    error_message = "the interface endpoints are the services the jobs call (no Secrets Manager unless asked)"
  }

  assert {
    condition     = alltrue([for e in aws_vpc_endpoint.interface : e.private_dns_enabled && toset(e.subnet_ids) == toset(["subnet-0a", "subnet-0b"])])
    error_message = "interface endpoints resolve the public names (private DNS) in every job subnet"
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.route_table_ids == toset(["rtb-0a"])
    error_message = "S3 goes through a gateway endpoint on the jobs' route tables"
  }

  assert {
    condition = length(aws_security_group.endpoints.ingress) == 1 && alltrue([for r in aws_security_group.endpoints.ingress :
      r.from_port == 443 && r.to_port == 443 && r.protocol == "tcp" && r.security_groups == toset(["sg-0ab"])
      && length(coalesce(r.cidr_blocks, [])) == 0
    ])
    error_message = "the endpoints accept HTTPS from the jobs' security groups only"
  }
}

run "scram_adds_secrets_manager_and_no_mlflow_without_sagemaker_mlflow" {
  command = plan

  variables {
    secrets_manager = true
    mlflow          = false
  }

  assert {
    condition     = contains(keys(aws_vpc_endpoint.interface), "secretsmanager") && !contains(keys(aws_vpc_endpoint.interface), "mlflow")
    error_message = "Secrets Manager only with SCRAM, MLflow only with SageMaker MLflow"
  }
}

run "an_empty_subnet_list_is_refused" {
  command = plan

  variables {
    subnet_ids = []
  }

  expect_failures = [var.subnet_ids]
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }
}
