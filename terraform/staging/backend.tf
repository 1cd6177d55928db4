# Partial configuration: pass the rest at init, e.g.
#   terraform init -backend-config="bucket=<state bucket>" -backend-config="key=ml-platform/<env>.tfstate" \
#                  -backend-config="region=us-east-1"
terraform {
  backend "s3" {
    encrypt      = true
    use_lockfile = true # S3-native state locking
  }
}
