{{- define "netcheck.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "netcheck.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "netcheck.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "netcheck.image" -}}
{{- $repository := required "image.repository is required: the registry path of the image built from the Dockerfile" .Values.image.repository -}}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "netcheck.agentTokenSecret" -}}
{{- default (printf "%s-agent-token" (include "netcheck.fullname" .)) .Values.agent.existingTokenSecret -}}
{{- end -}}

{{- define "netcheck.dnsLabel" -}}
{{- if not (regexMatch "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$" .value) -}}
{{- fail (printf "%s must be a DNS label (lowercase letters, digits, \"-\"), got %q" .name .value) -}}
{{- end -}}
{{- .value -}}
{{- end -}}

{{- /* Shared by both containers: nothing to escalate to, nothing to write outside mounted volumes. */ -}}
{{- define "netcheck.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "netcheck.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
A pod's labels as "key=value,key=value" (what the worker reads from NETCHECK_POD_LABELS).
*/}}
{{- define "netcheck.labelsCsv" -}}
{{- $labels := merge (dict "app.kubernetes.io/component" .component) (include "netcheck.labels" .root | fromYaml) -}}
{{- $pairs := list -}}
{{- range $key, $value := $labels }}{{ $pairs = append $pairs (printf "%s=%s" $key $value) }}{{ end -}}
{{- join "," $pairs -}}
{{- end -}}


{{/*
A (Cluster)RoleBinding of the worker's ServiceAccount to the role "<fullname>-<name>".
*/}}
{{- define "netcheck.binding" -}}
apiVersion: rbac.authorization.k8s.io/v1
kind: {{ .kind }}Binding
metadata:
  name: {{ include "netcheck.fullname" .root }}-{{ .name }}
  {{- with .namespace }}
  namespace: {{ . }}
  {{- end }}
  labels:
    {{- include "netcheck.labels" .root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {{ .kind }}
  name: {{ include "netcheck.fullname" .root }}-{{ .name }}
subjects:
  - kind: ServiceAccount
    name: {{ .root.Values.serviceAccount.name }}
    namespace: {{ .root.Release.Namespace }}
{{- end -}}

{{/*
The namespaced network policies of every system netcheck weighs, read where the cluster serves
them. The cluster-scoped ones (GlobalNetworkPolicy, CCNP, admin policies) are not granted in
namespaced mode: the checks they could decide say unknown.
*/}}
{{- define "netcheck.namespacedPolicyRules" -}}
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["list"]
- apiGroups: ["projectcalico.org", "crd.projectcalico.org"]
  resources: ["networkpolicies"]
  verbs: ["list"]
- apiGroups: ["cilium.io"]
  resources: ["ciliumnetworkpolicies"]
  verbs: ["list"]
{{- end -}}
