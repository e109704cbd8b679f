{{/*
PromQL label matchers that pick this release's series out of everything Prometheus scrapes:
prometheusRule.seriesSelector, or the job the chart's ServiceMonitor gives them (the Service's name).
*/}}
{{- define "svo.seriesSelector" -}}
{{- default (printf "job=%q" (printf "%s-metrics" (include "svo.fullname" .))) .Values.prometheusRule.seriesSelector }}
{{- end }}

{{/*
The namespace a series is about. Prometheus renames a series' own `namespace` label to
`exported_namespace` when the scrape target has one (a ServiceMonitor without honorLabels), so it is
taken from there when present. Usage: include "svo.ownNamespace" "<vector selector>".
*/}}
{{- define "svo.ownNamespace" -}}
label_replace({{ . }}, "namespace", "$1", "exported_namespace", "(.+)")
{{- end }}
