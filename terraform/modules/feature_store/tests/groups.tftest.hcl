mock_provider "aws" {}

variables {
  name_prefix          = "ml-platform-test"
  specs_dir            = "../../../feature_groups"
  offline_store_s3_uri = "s3://ml-platform-test-offline-store-123456789012/feature-store"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  role_arn             = "arn:aws:iam::123456789012:role/ml-platform-test-sagemaker-execution"
}

run "one_group_per_spec_file_online_and_offline_encrypted" {
  command = plan

  assert {
    condition     = toset(keys(aws_sagemaker_feature_group.this)) == toset([for f in fileset("../../../feature_groups", "*.yaml") : trimsuffix(f, ".yaml")])
    error_message = "one feature group per spec file"
  }

  assert {
    condition = alltrue([for g in aws_sagemaker_feature_group.this :
      g.online_store_config[0].enable_online_store && g.online_store_config[0].security_config[0].kms_key_id == var.kms_key_arn
      && g.offline_store_config[0].s3_storage_config[0].kms_key_id == var.kms_key_arn
    ])
    error_message = "online and offline stores, both with the platform key"
  }

  assert {
    condition     = aws_sagemaker_feature_group.this["customer_activity"].online_store_config[0].ttl_duration[0].value == 21
    error_message = "the TTL comes from the spec file"
  }

  assert {
    condition     = [for f in aws_sagemaker_feature_group.this["customer_billing"].feature_definition : f.feature_name][0] == "customer_id"
    error_message = "features come from the spec file"
  }
}
