{{/* Chart name, overridable. */}}
{{- define "svo.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's objects. A release named like the chart is not
repeated ("stateful-volume-operator", not "stateful-volume-operator-stateful-volume-operator").
Truncated to 55 so that suffixes such as "-manager" and "-leader-election" stay within 63.
*/}}
{{- define "svo.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "svo.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels: never change them, a Deployment's selector is immutable. */}}
{{- define "svo.selectorLabels" -}}
app.kubernetes.io/name: {{ include "svo.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "svo.labels" -}}
helm.sh/chart: {{ include "svo.chart" . }}
{{ include "svo.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stateful-volume-operator
{{- end }}

{{- define "svo.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "svo.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "svo.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The RBAC rules, generated from src/controllers/permissions.ts into
files/rbac-rules.yaml (`npx tsx scripts/generate.ts`); the same rules make
config/rbac/role.yaml. Usage: include "svo.rules" (list . "clusterRules").
*/}}
{{- define "svo.rules" -}}
{{- $ctx := index . 0 }}
{{- $rules := $ctx.Files.Get "files/rbac-rules.yaml" | fromYaml }}
{{- if hasKey $rules "Error" }}
{{- fail (printf "files/rbac-rules.yaml: %s" $rules.Error) }}
{{- end }}
{{- toYaml (required (printf "files/rbac-rules.yaml has no %s" (index . 1)) (get $rules (index . 1))) }}
{{- end }}

{{/* The metrics port's scheme, which also names the Service port: https unless metrics.secure is off. */}}
{{- define "svo.metricsScheme" -}}
{{- if .Values.metrics.secure }}https{{ else }}http{{ end }}
{{- end }}
