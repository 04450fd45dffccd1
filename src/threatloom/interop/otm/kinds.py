"""OTM component types (free text) → threatloom element type, component kind and technology.

OTM leaves `type` to the tool: IriusRisk library IDs (`web-service`, `CD-MSSQL`, `CD-V2-AWS-ECS-CLUSTER`),
StartLeft's (`rds`, `elastic-container-service`, `empty-component`), or plain words. A type is cut into
words (`CD-` prefixes of IriusRisk's custom definitions dropped) and matched against the phrases below,
most specific first; a type that says nothing (`empty-component`, `generic`) is read from the element's
tags and name the same way, so that StartLeft's `aws_synthetics_canary` still becomes monitoring.
"""

from __future__ import annotations

import re

import msgspec

from threatloom.model.vocabulary import ComponentKind as K
from threatloom.model.vocabulary import ElementType

P, D, E = ElementType.PROCESS, ElementType.DATA_STORE, ElementType.EXTERNAL_ENTITY


class Classified(msgspec.Struct, frozen=True):
    type: ElementType
    kind: K
    technology: str | None
    matched: str | None  # the phrase that decided it; None when nothing matched


# (phrases, element type, kind, technology): a phrase matches whole words of the type, in order
_TABLE: tuple[tuple[tuple[str, ...], ElementType, K, str | None], ...] = (
    # data stores named by product
    (("mssql", "sql-server", "sqlserver"), D, K.DATABASE, "Microsoft SQL Server"),
    (("postgresql", "postgres"), D, K.DATABASE, "PostgreSQL"),
    (("mysql", "mariadb"), D, K.DATABASE, "MySQL"),
    (("oracle-db", "oracle-database"), D, K.DATABASE, "Oracle Database"),
    (("mongodb", "mongo-db", "documentdb", "cosmos-db", "cosmosdb"), D, K.DATABASE, None),
    (("dynamodb", "aurora", "rds", "redshift", "bigquery", "cassandra", "neo4j", "snowflake"), D, K.DATABASE,
     None),
    (("redis", "memcached", "elasticache"), D, K.CACHE, None),
    (("s3", "aws-s3", "blob-storage", "azure-blob", "cloud-storage", "gcs", "object-storage", "bucket", "minio"),
     D, K.OBJECT_STORAGE, None),
    (("efs", "nfs", "file-share", "file-storage", "file-system", "filesystem", "azure-files", "smb-share"), D,
     K.FILE_STORAGE, None),
    (("sqs", "sns", "kafka", "rabbitmq", "activemq", "message-queue", "message-broker", "queue", "event-hub",
      "eventbridge", "kinesis", "service-bus", "pubsub", "pub-sub", "mq"), D, K.QUEUE, None),
    (("secrets-manager", "secret-manager", "key-vault", "hashicorp-vault", "vault", "secrets"), D,
     K.SECRETS_MANAGER, None),
    (("kms", "hsm", "key-management"), D, K.KEY_MANAGEMENT, None),
    (("backup", "glacier", "snapshot"), D, K.BACKUP, None),
    (("cloudwatch", "cloudtrail", "log-analytics", "elasticsearch", "opensearch", "logstash", "log-store",
      "logs", "logging", "log"), D, K.LOG_STORE, None),
    (("ecr", "container-registry", "docker-registry", "docker-hub", "acr", "gcr"), D, K.CONTAINER_REGISTRY, None),
    (("artifactory", "nexus", "artifact-registry", "package-registry", "npm-registry", "pypi", "codeartifact"),
     D, K.ARTIFACT_REGISTRY, None),
    (("github", "gitlab", "bitbucket", "codecommit", "git-repository", "source-repository", "code-repository",
      "git"), D, K.SOURCE_REPOSITORY, None),
    # pipelines
    (("github-actions", "gitlab-ci", "jenkins", "circleci", "travis", "azure-devops", "codepipeline",
      "codebuild", "ci-cd", "cicd", "pipeline", "argocd", "teamcity"), P, K.CI_CD, None),
    (("build-agent", "build-runner", "runner"), P, K.BUILD_RUNNER, None),
    # network and edge
    (("waf", "web-application-firewall"), P, K.WAF, None),
    (("api-gateway", "apigateway", "apigw", "api-management", "apim", "kong", "apigee"), P, K.API_GATEWAY, None),
    (("load-balancer", "loadbalancer", "alb", "elb", "nlb", "elastic-load-balancing", "lb"), P,
     K.LOAD_BALANCER, None),
    (("reverse-proxy", "proxy", "nginx", "haproxy", "envoy", "cdn", "cloudfront", "front-door", "akamai",
      "cloudflare"), P, K.REVERSE_PROXY, None),
    # identity
    (("cognito", "okta", "auth0", "keycloak", "active-directory", "entra", "azure-ad", "ldap", "identity-provider",
      "idp", "iam-identity-center", "sso", "oauth", "oidc", "authorization-server", "identity"), P,
     K.IDENTITY_PROVIDER, None),
    # compute
    (("kubernetes-cluster", "k8s-cluster", "eks", "aks", "gke", "openshift", "ecs-cluster", "kubernetes",
      "container-platform", "docker-swarm", "nomad"), P, K.CONTAINER_PLATFORM, None),
    (("lambda", "azure-function", "cloud-function", "cloud-functions", "function", "serverless"), P,
     K.FUNCTION, None),
    (("kubernetes-pod", "pod", "docker-container", "container", "elastic-container-service", "ecs", "fargate",
      "cloud-run", "microservice", "service"), P, K.SERVICE, None),
    (("ec2", "virtual-machine", "vm", "compute-engine", "instance", "server", "host"), P, K.VIRTUAL_MACHINE, None),
    (("worker", "batch", "cron", "job", "scheduler", "step-functions"), P, K.WORKER, None),
    (("systems-manager", "ssm", "bastion", "admin-console", "admin-portal", "management-console", "console"), P,
     K.ADMIN_CONSOLE, None),
    (("aws-account", "azure-subscription", "gcp-project", "cloud-account", "aws-organization"), P,
     K.CLOUD_ACCOUNT, None),
    # network containers: drawn as components, but no kind of their own
    (("vpc", "vnet", "subnet", "vpc-endpoint", "security-group", "network", "private-link"), P, K.OTHER, None),
    (("canary", "monitoring", "prometheus", "grafana", "datadog", "new-relic", "splunk", "siem", "sentry",
      "synthetics"), P, K.MONITORING, None),
    (("ses", "sendgrid", "mailgun", "smtp", "email", "mail-server", "mail"), P, K.EMAIL, None),
    # clients and devices
    (("android", "ios", "mobile-client", "mobile-app", "mobile-application", "mobile"), P, K.MOBILE_APP, None),
    (("desktop-client", "desktop-app", "desktop-application", "thick-client", "desktop"), P, K.DESKTOP_APP, None),
    (("web-client", "browser", "web-browser", "spa", "single-page-application"), E, K.BROWSER, None),
    (("workstation", "laptop"), P, K.WORKSTATION, None),
    (("medical-device", "infusion-pump", "pacemaker"), P, K.MEDICAL_DEVICE, None),
    (("iot-gateway", "edge-gateway", "gateway-device"), P, K.GATEWAY_DEVICE, None),
    (("iot", "iot-device", "sensor", "device", "plc", "embedded"), P, K.IOT_DEVICE, None),
    # web applications and APIs
    (("web-application-server-side", "web-application", "webapp", "web-app", "web-server", "web-service",
      "web-site", "website", "tomcat", "iis", "apache", "app-service", "elastic-beanstalk"), P,
     K.WEB_APPLICATION, None),
    (("rest-api", "graphql", "grpc", "api", "soap", "backend"), P, K.API, None),
    (("database", "db", "sql", "nosql", "data-warehouse", "data-lake"), D, K.DATABASE, None),
    (("storage",), D, K.FILE_STORAGE, None),
    # outside the system
    (("third-party", "3rd-party", "saas", "external-service", "external-system", "partner", "vendor", "stripe",
      "paypal", "twilio", "salesforce"), E, K.THIRD_PARTY_SERVICE, None),
    (("generic-client", "client", "user", "users", "actor", "person", "human", "customer", "employee", "operator",
      "administrator", "admin", "internet", "public"), E, K.USER, None),
    (("process", "application", "app", "software"), P, K.SERVICE, None),
)
_VAGUE = frozenset({"empty-component", "empty", "generic", "other", "component", "custom", "unknown", "group",
                    "boundary", "container-group"})
_CD_PREFIX = re.compile(r"^cd-(?:v\d+-)?")


def words(text: str) -> str:
    """`CD-V2-AWS-ECS-CLUSTER` → `aws-ecs-cluster`; `aws_vpc_endpoint` → `aws-vpc-endpoint`."""
    lowered = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return _CD_PREFIX.sub("", lowered)


def _match(text: str) -> tuple[str, tuple[str, ...], ElementType, K, str | None] | None:
    padded = f"-{words(text)}-"
    best: tuple[int, int, str, tuple[str, ...], ElementType, K, str | None] | None = None
    for order, (phrases, element_type, kind, technology) in enumerate(_TABLE):
        for phrase in phrases:
            if f"-{phrase}-" in padded:
                # the phrase of most words wins (`kubernetes-pod` over `kubernetes`); then the table's order
                rank = (-phrase.count("-"), order)
                if best is None or rank < best[:2]:
                    best = (*rank, phrase, phrases, element_type, kind, technology)
    return None if best is None else best[2:]


_DATA_STORE_KINDS = frozenset({K.DATABASE, K.OBJECT_STORAGE, K.FILE_STORAGE, K.CACHE, K.QUEUE, K.LOG_STORE,
                               K.SECRETS_MANAGER, K.KEY_MANAGEMENT, K.BACKUP, K.SOURCE_REPOSITORY,
                               K.ARTIFACT_REGISTRY, K.CONTAINER_REGISTRY})
_EXTERNAL_KINDS = frozenset({K.USER, K.THIRD_PARTY_SERVICE, K.BROWSER})


def classify(otm_type: str, tags: list[str], name: str) -> Classified:
    """The element type, kind and (for product types) technology of an OTM component."""
    exact = words(otm_type)
    for element_type in ElementType:  # what threatloom itself writes for kind `other`
        if exact == element_type.value:
            return Classified(element_type, K.OTHER, None, exact)
    for kind in K:  # threatloom's own kind names, as its exporter writes them
        if exact == kind.value and kind is not K.OTHER:
            element_type = D if kind in _DATA_STORE_KINDS else E if kind in _EXTERNAL_KINDS else P
            return Classified(element_type, kind, None, exact)
    found = None if exact in _VAGUE else _match(otm_type)
    if found is None:
        for hint in (*tags, name):
            found = _match(hint)
            if found is not None:
                break
    if found is None:
        return Classified(P, K.OTHER, None, None)
    phrase, _phrases, element_type, kind, technology = found
    return Classified(element_type, kind, technology, phrase)


def otm_type_of(kind: K, element_type: ElementType) -> str:
    """The OTM type threatloom writes: the kind, or for `other` the element type."""
    return element_type.value if kind is K.OTHER else kind.value
