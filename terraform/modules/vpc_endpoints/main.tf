data "aws_region" "current" {}

locals {
  region = data.aws_region.current.name
  # Interface endpoints the jobs call without a NAT gateway, by the service names AWS PrivateLink
  # lists (https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html):
  # the SageMaker API and Feature Store runtime, SageMaker MLflow ("experiments"), ECR (API and the
  # Docker registry), CloudWatch Logs, STS, KMS, and Secrets Manager for a SASL/SCRAM Kafka password.
  interface_services = merge(
    {
      sagemaker_api = "com.amazonaws.${local.region}.sagemaker.api"
      featurestore  = "com.amazonaws.${local.region}.sagemaker.featurestore-runtime"
      ecr_api       = "com.amazonaws.${local.region}.ecr.api"
      ecr_dkr       = "com.amazonaws.${local.region}.ecr.dkr"
      logs          = "com.amazonaws.${local.region}.logs"
      sts           = "com.amazonaws.${local.region}.sts"
      kms           = "com.amazonaws.${local.region}.kms"
    },
    var.mlflow ? { mlflow = "aws.sagemaker.${local.region}.experiments" } : {},
    var.secrets_manager ? { secretsmanager = "com.amazonaws.${local.region}.secretsmanager" } : {},
  )
}

# HTTPS from the jobs' security groups only; no egress rule (Terraform removes AWS's default one).
resource "aws_security_group" "endpoints" {
  name        = "${var.name_prefix}-vpc-endpoints"
  description = "HTTPS from the ${var.name_prefix} jobs to the VPC endpoints"
  vpc_id      = var.vpc_id
  tags        = var.tags

  ingress {
    description     = "HTTPS from the training and inference jobs"
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    security_groups = var.client_security_group_ids
  }
}

resource "aws_vpc_endpoint" "interface" {
  for_each            = local.interface_services
  vpc_id              = var.vpc_id
  service_name        = each.value
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.subnet_ids
  security_group_ids  = [aws_security_group.endpoints.id]
  private_dns_enabled = true
  tags                = merge(var.tags, { Name = "${var.name_prefix}-${each.key}" })
}

# S3 (data, offline store, models, ECR layers) through a gateway endpoint on the jobs' route tables.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = var.vpc_id
  service_name      = "com.amazonaws.${local.region}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = var.route_table_ids
  tags              = merge(var.tags, { Name = "${var.name_prefix}-s3" })
}
