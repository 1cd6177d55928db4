#!/usr/bin/env bash
# Build the training and inference images, push them to the environment's ECR repositories and pin
# them by digest in terraform/<env>/images.auto.tfvars.json (machine-written, read by Terraform after
# terraform.tfvars). Run from anywhere inside the repository.
set -euo pipefail

if ((BASH_VERSINFO[0] < 4)); then
  printf 'error: bash %s is too old; this script needs bash 4 or newer\n  fix: on macOS, brew install bash\n' "${BASH_VERSION}" >&2
  exit 1
fi

readonly TARGETS_ALL=(training inference)
readonly PLATFORM="linux/amd64"

usage() {
  cat <<'EOF'
usage: scripts/build_push_ecr.sh [training|inference|all] --environment staging|prod
                                 [--tag TAG] [--dry-run] [--no-push] [--allow-dirty] [--help]

Builds each image with `docker buildx` for linux/amd64, tags it with the git short sha (and TAG if
given), pushes it to the ECR repository Terraform created (<project_name>-<environment>-<target>),
reads back its digest and pins <target>_image_uri in terraform/<environment>/images.auto.tfvars.json
(written with jq; Terraform loads *.auto.tfvars.json after terraform.tfvars).

  training|inference|all  which image to build (default: all)
  -e, --environment ENV   staging or prod (required): the folder under terraform/ whose terraform.tfvars
                          is read (project_name, environment, aws_region, sagemaker_role_arn)
  -t, --tag TAG           an extra tag besides the git short sha, e.g. a release version
  -n, --dry-run           run the read-only checks, print what would be built, pushed and pinned;
                          change nothing
      --no-push           build and load the image locally only: no AWS calls, image pins untouched
      --allow-dirty       build from a work tree with uncommitted changes (tag <sha>-dirty-<time>)
  -h, --help              show this help

Environment: BUILDX_BUILDER (default ml-platform, a docker-container builder created if absent),
BUILD_CACHE_DIR (default .mlplatform/buildx-cache; layer cache kept between builds).
Exit status: 0 on success, 2 on a usage error, 1 on any other failure (image pins then untouched).
EOF
}

# die MESSAGE FIX: print the problem and how to fix it, exit 1.
die() {
  printf 'error: %s\n' "$1" >&2
  if [[ -n "${2:-}" ]]; then
    printf '  fix: %s\n' "$2" >&2
  fi
  exit 1
}

usage_error() {
  printf 'error: %s\n  fix: see scripts/build_push_ecr.sh --help\n' "$1" >&2
  exit 2
}

log() {
  printf '==> %s\n' "$*" >&2
}

# run CMD...: execute, or only print it when --dry-run.
run() {
  if [[ "${dry_run}" == true ]]; then
    printf 'dry-run: %s\n' "$*" >&2
  else
    "$@"
  fi
}

# tfvar KEY: the quoted string value of KEY in the env tfvars ("" when absent).
tfvar() {
  sed -n -E "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*\"([^\"]*)\".*/\\1/p" "${tfvars}" | head -n 1
}

targets=()
environment=""
extra_tag=""
dry_run=false
push=true
allow_dirty=false

while [[ $# -gt 0 ]]; do
  case "$1" in
    training | inference) targets+=("$1") ;;
    all) targets+=("${TARGETS_ALL[@]}") ;;
    -e | --environment)
      [[ $# -ge 2 ]] || usage_error "$1 needs a value (staging or prod)"
      environment="$2"
      shift
      ;;
    --environment=*) environment="${1#*=}" ;;
    -t | --tag)
      [[ $# -ge 2 ]] || usage_error "$1 needs a value"
      extra_tag="$2"
      shift
      ;;
    --tag=*) extra_tag="${1#*=}" ;;
    -n | --dry-run) dry_run=true ;;
    --no-push) push=false ;;
    --allow-dirty) allow_dirty=true ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) usage_error "unknown argument '$1' (targets are training, inference or all)" ;;
  esac
  shift
done

[[ ${#targets[@]} -gt 0 ]] || targets=("${TARGETS_ALL[@]}")
# De-duplicate, keeping order ("training all" builds training once).
mapfile -t targets < <(printf '%s\n' "${targets[@]}" | awk '!seen[$0]++')

[[ -n "${environment}" ]] || usage_error "--environment is required (staging or prod)"
case "${environment}" in
  staging | prod) ;;
  *) usage_error "unknown environment '${environment}': use staging or prod" ;;
esac
if [[ -n "${extra_tag}" ]]; then
  [[ "${extra_tag}" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] \
    || usage_error "--tag '${extra_tag}' is not a valid image tag: use letters, digits, '_', '.', '-' (max 128, not starting with '.' or '-')"
  [[ "${extra_tag}" != latest ]] \
    || usage_error "--tag latest is refused: images are pinned by digest and tagged by commit; pick a version tag"
fi

# --- tools and repository --------------------------------------------------------------------
command -v git >/dev/null 2>&1 || die "git is not on PATH" "install git"
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(git -C "${script_dir}" rev-parse --show-toplevel 2>/dev/null)" \
  || die "${script_dir} is not inside a git work tree" "run the script from a clone of the repository"
cd "${root}"

command -v docker >/dev/null 2>&1 \
  || die "docker is not on PATH" "install Docker with the buildx plugin (https://docs.docker.com/engine/install/)"
docker buildx version >/dev/null 2>&1 \
  || die "'docker buildx' is not available" "install the Docker buildx plugin (docker-buildx-plugin)"
if [[ "${push}" == true ]]; then
  command -v aws >/dev/null 2>&1 || die "aws (AWS CLI v2) is not on PATH" "install the AWS CLI v2"
  command -v jq >/dev/null 2>&1 || die "jq is not on PATH (it writes the image pins)" "install jq (apt-get install jq, brew install jq)"
fi

tfvars="terraform/${environment}/terraform.tfvars"
[[ -f "${tfvars}" ]] || die "${tfvars} does not exist" "create it from terraform/staging/terraform.tfvars"
project_name="$(tfvar project_name)"
tf_environment="$(tfvar environment)"
region="$(tfvar aws_region)"
[[ -n "${project_name}" ]] || die "project_name is not set in ${tfvars}" "add: project_name = \"ml-platform\""
[[ -n "${region}" ]] || die "aws_region is not set in ${tfvars}" "add: aws_region = \"us-east-1\""
[[ "${tf_environment}" == "${environment}" ]] \
  || die "${tfvars} sets environment = \"${tf_environment}\", not \"${environment}\"" \
    "set environment = \"${environment}\" in ${tfvars}"
pins="terraform/${environment}/images.auto.tfvars.json"
if [[ "${push}" == true && -e "${pins}" ]]; then
  jq -e 'type == "object"' "${pins}" >/dev/null 2>&1 \
    || die "${pins} is not a JSON object" "restore it from git (git checkout -- ${pins}); this script rewrites it"
fi
for target in "${targets[@]}"; do
  if grep -q -E "^[[:space:]]*${target}_image_uri[[:space:]]*=" "${tfvars}"; then
    die "${tfvars} sets ${target}_image_uri: the image pin lives only in ${pins}, which this script writes" \
      "delete the ${target}_image_uri line from ${tfvars}"
  fi
done

sha="$(git rev-parse --short=12 HEAD)"
revision="$(git rev-parse HEAD)"
# The image is built from the work tree: uncommitted changes would make the commit tag lie. The env
# image pins are not in the build context (see .dockerignore) and this script writes them: they do not count.
dirty="$(git status --porcelain --untracked-files=normal -- . ':(exclude)terraform/*/images.auto.tfvars.json')"
if [[ -n "${dirty}" ]]; then
  if [[ "${allow_dirty}" != true ]]; then
    printf '%s\n' "${dirty}" | head -n 20 >&2
    die "the work tree has uncommitted changes (listed above); the image tag ${sha} would not describe what is built" \
      "commit or stash them, or pass --allow-dirty to build anyway (tagged ${sha}-dirty-<time>)"
  fi
  sha="${sha}-dirty-$(date -u +%Y%m%d%H%M%S)"
fi

# --- AWS identity and repositories -----------------------------------------------------------
declare -A repo_uri=() version=() digest=() reused=()
registry=""
if [[ "${push}" == true ]]; then
  account="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)" \
    || die "no AWS identity: 'aws sts get-caller-identity' failed" \
      "configure credentials for the ${environment} account (aws configure, AWS_PROFILE, or the CI OIDC role)"
  role_arn="$(tfvar sagemaker_role_arn)"
  if [[ "${role_arn}" =~ ^arn:aws[a-z-]*:iam::([0-9]{12}): ]] && [[ "${BASH_REMATCH[1]}" != "${account}" ]]; then
    die "the credentials are for account ${account} but ${tfvars} targets account ${BASH_REMATCH[1]} (sagemaker_role_arn)" \
      "assume a role in account ${BASH_REMATCH[1]} for ${environment}, or fix sagemaker_role_arn"
  fi
  log "AWS account ${account}, region ${region}, environment ${environment}"
fi

for target in "${targets[@]}"; do
  repo="${project_name}-${environment}-${target}"
  version[${target}]="$(sed -n -E 's/^version[[:space:]]*=[[:space:]]*"([^"]+)".*/\1/p' "src/${target}/pyproject.toml" | head -n 1)"
  if [[ "${push}" != true ]]; then
    repo_uri[${target}]="${repo}"
    continue
  fi
  uri="$(aws ecr describe-repositories --region "${region}" --repository-names "${repo}" \
    --query 'repositories[0].repositoryUri' --output text 2>/dev/null)" \
    || die "ECR repository ${repo} does not exist in account ${account}, region ${region} (or cannot be read)" \
      "run 'terraform apply' in terraform/${environment} first: Terraform owns the repositories and this script never creates them"
  repo_uri[${target}]="${uri}"
  registry="${uri%%/*}"
  # Tags are immutable: a commit that was already pushed is reused, not rebuilt.
  if existing="$(aws ecr describe-images --region "${region}" --repository-name "${repo}" \
    --image-ids "imageTag=${sha}" --query 'imageDetails[0].imageDigest' --output text 2>&1)"; then
    [[ "${existing}" =~ ^sha256:[0-9a-f]{64}$ ]] \
      || die "ECR returned '${existing}' as the digest of ${repo}:${sha}" "re-run; if it persists, check the repository in the console"
    digest[${target}]="${existing}"
    reused[${target}]=true
    log "${uri}:${sha} is already in ECR (${existing}); not rebuilding"
  elif [[ "${existing}" != *ImageNotFoundException* ]]; then
    die "could not look up ${repo}:${sha} in ECR: ${existing}" "check that the role may call ecr:DescribeImages on ${repo}"
  fi
done

# --- build and push --------------------------------------------------------------------------
builder="${BUILDX_BUILDER:-ml-platform}"
cache_root="${BUILD_CACHE_DIR:-${root}/.mlplatform/buildx-cache}"
if ! docker buildx inspect "${builder}" >/dev/null 2>&1; then
  log "creating buildx builder ${builder} (docker-container driver, needed for the layer cache)"
  run docker buildx create --name "${builder}" --driver docker-container >/dev/null
fi

if [[ "${push}" == true ]]; then
  needs_login=false
  for target in "${targets[@]}"; do
    [[ -n "${reused[${target}]:-}" ]] || needs_login=true
  done
  if [[ "${needs_login}" == true ]]; then
    log "logging in to ${registry}"
    if [[ "${dry_run}" == true ]]; then
      printf 'dry-run: aws ecr get-login-password --region %s | docker login --username AWS --password-stdin %s\n' \
        "${region}" "${registry}" >&2
    else
      aws ecr get-login-password --region "${region}" \
        | docker login --username AWS --password-stdin "${registry}" >/dev/null \
        || die "docker login to ${registry} failed" "check the role may call ecr:GetAuthorizationToken"
    fi
  fi
fi

for target in "${targets[@]}"; do
  [[ -z "${reused[${target}]:-}" ]] || continue
  image="${repo_uri[${target}]}"
  tags=(--tag "${image}:${sha}")
  [[ -z "${extra_tag}" ]] || tags+=(--tag "${image}:${extra_tag}")
  cache_dir="${cache_root}/${target}"
  log "building ${image}:${sha} (${PLATFORM})"
  run docker buildx build \
    --builder "${builder}" \
    --platform "${PLATFORM}" \
    --file docker/Dockerfile \
    --target "${target}" \
    --build-arg "APP=${target}" \
    --build-arg "VERSION=${version[${target}]}" \
    --build-arg "REVISION=${revision}" \
    "${tags[@]}" \
    --cache-from "type=local,src=${cache_dir}" \
    --cache-to "type=local,dest=${cache_dir}.new,mode=max" \
    --provenance=false --sbom=false \
    --load \
    . || die "docker buildx build of ${target} failed (output above)" \
    "fix the build error, then re-run; nothing was pushed for ${target} and ${pins} is untouched"
  if [[ "${dry_run}" != true ]]; then
    # A local cache export only grows; swap in the fresh one (docker/build-push-action#252).
    rm -rf "${cache_dir}" && mv "${cache_dir}.new" "${cache_dir}" 2>/dev/null || true
  fi
  [[ "${push}" == true ]] || continue
  for tag in "${sha}" ${extra_tag:+"${extra_tag}"}; do
    log "pushing ${image}:${tag}"
    run docker push "${image}:${tag}" >/dev/null \
      || die "docker push of ${image}:${tag} failed (output above)" \
        "check the network and ecr:PutImage permission, then re-run; ${pins} is untouched"
  done
  if [[ "${dry_run}" == true ]]; then
    digest[${target}]="sha256:<digest after push>"
    continue
  fi
  digest[${target}]="$(aws ecr describe-images --region "${region}" --repository-name "${image##*/}" \
    --image-ids "imageTag=${sha}" --query 'imageDetails[0].imageDigest' --output text)" \
    || die "pushed ${image}:${sha} but could not read its digest back" "re-run: the push is reused, not repeated"
  [[ "${digest[${target}]}" =~ ^sha256:[0-9a-f]{64}$ ]] \
    || die "ECR returned '${digest[${target}]}' as the digest of ${image}:${sha}" "re-run; if it persists, check the repository in the console"
done

# --- pin ------------------------------------------------------------------------------------
if [[ "${push}" == true ]]; then
  tmp="$(mktemp "${pins}.XXXXXX")"
  trap 'rm -f "${tmp}" "${tmp}.new"' EXIT
  if [[ -e "${pins}" ]]; then cp "${pins}" "${tmp}"; else printf '{}\n' >"${tmp}"; fi
  for target in "${targets[@]}"; do
    jq --indent 2 --sort-keys --arg key "${target}_image_uri" \
      --arg value "${repo_uri[${target}]}@${digest[${target}]}" '.[$key] = $value' "${tmp}" >"${tmp}.new"
    mv "${tmp}.new" "${tmp}"
  done
  if [[ -e "${pins}" ]] && cmp -s "${tmp}" "${pins}"; then
    log "${pins} already pins these images"
  elif [[ "${dry_run}" == true ]]; then
    printf 'dry-run: would pin in %s:\n' "${pins}" >&2
    diff -u "${pins}" "${tmp}" >&2 || true
  else
    chmod 0644 "${tmp}"
    mv "${tmp}" "${pins}"
    log "pinned in ${pins}"
  fi
fi

# --- summary ---------------------------------------------------------------------------------
printf '\n%-10s %-14s %s\n' target result image
for target in "${targets[@]}"; do
  if [[ "${push}" != true ]]; then
    result="built"
    ref="${repo_uri[${target}]}:${sha}"
  else
    result="pushed"
    [[ -z "${reused[${target}]:-}" ]] || result="reused"
    [[ "${dry_run}" != true ]] || result="dry-run"
    ref="${repo_uri[${target}]}@${digest[${target}]}"
  fi
  printf '%-10s %-14s %s\n' "${target}" "${result}" "${ref}"
done
