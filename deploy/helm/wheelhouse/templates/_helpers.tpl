{{- define "wheelhouse.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "wheelhouse.labels" -}}
app.kubernetes.io/name: wheelhouse
app.kubernetes.io/component: hub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "wheelhouse.selector" -}}
app.kubernetes.io/name: wheelhouse
app.kubernetes.io/component: hub
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The URL browsers reach the hub at (SSO redirect URIs derive from it). */}}
{{- define "wheelhouse.publicUrl" -}}
{{- if .Values.oidc.publicUrl -}}{{ .Values.oidc.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.tls.enabled -}}https://{{ .Values.ingress.host }}
{{- else if .Values.ingress.enabled -}}http://{{ .Values.ingress.host }}
{{- else -}}{{ fail "oidc.publicUrl is required with oidc.issuer when the chart's ingress is off" }}
{{- end -}}
{{- end -}}
