# The Terraform and provider versions of every module and environment root, in one file: their
# versions.tf is a link to it. 1.9 for validations that refer to other variables.
terraform {
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100, < 7.0"
    }
  }
}
