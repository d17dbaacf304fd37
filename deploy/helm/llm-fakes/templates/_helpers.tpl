{{- define "llm-fakes.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "llm-fakes.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "llm-fakes.labels" -}}
app.kubernetes.io/name: {{ include "llm-fakes.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "llm-fakes.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "llm-fakes.controlSecret" -}}
{{- .Values.controlPlane.token.existingSecret | default (printf "%s-control" (include "llm-fakes.fullname" .)) -}}
{{- end -}}

{{- define "llm-fakes.hasControlToken" -}}
{{- if or .Values.controlPlane.token.existingSecret .Values.controlPlane.token.value -}}true{{- end -}}
{{- end -}}

{{/* Refuse at render time what the fake would refuse at start: an open control plane. */}}
{{- define "llm-fakes.checkControlPlane" -}}
{{- if and .Values.controlPlane.enabled (not (include "llm-fakes.hasControlToken" .)) -}}
{{- fail "controlPlane: pods listen beyond loopback: set controlPlane.token.value or controlPlane.token.existingSecret, or controlPlane.enabled=false" -}}
{{- end -}}
{{- end -}}

{{/*
The fake vLLMs: a list of {name, replicas, vllm} as JSON, one per Deployment: the release's
own when `fleet` is empty, else one per fleet entry with its `vllm` over the shared values.
*/}}
{{- define "llm-fakes.instances" -}}
{{- $fullname := include "llm-fakes.fullname" . -}}
{{- $instances := list -}}
{{- if .Values.fleet -}}
{{- $seen := dict -}}
{{- range .Values.fleet -}}
{{- if not .name -}}{{- fail "fleet: every entry needs a name" -}}{{- end -}}
{{- if hasKey $seen .name -}}{{- fail (printf "fleet: the name %q is used twice" .name) -}}{{- end -}}
{{- $_ := set $seen .name true -}}
{{- $vllm := mergeOverwrite (deepCopy $.Values.vllm) (deepCopy (.vllm | default dict)) -}}
{{- $replicas := $.Values.replicas -}}
{{- if hasKey . "replicas" -}}{{- $replicas = .replicas -}}{{- end -}}
{{- $instances = append $instances (dict "name" (printf "%s-%s" $fullname .name | trunc 63 | trimSuffix "-") "member" .name "replicas" $replicas "vllm" $vllm) -}}
{{- end -}}
{{- else -}}
{{- $instances = append $instances (dict "name" $fullname "member" "" "replicas" .Values.replicas "vllm" .Values.vllm) -}}
{{- end -}}
{{- toJson $instances -}}
{{- end -}}

{{/* `llm-fakes serve vllm` arguments for one instance's vllm values. */}}
{{- define "llm-fakes.vllmArgs" -}}
{{- $v := .vllm -}}
- serve
- vllm
- --host
- 0.0.0.0
- --port
- {{ $v.port | quote }}
{{- with $v.version }}
- --version
- {{ . | quote }}
{{- end }}
{{- with $v.profile }}
- --profile
- {{ . | quote }}
{{- end }}
{{- with $v.model }}
- --model
- {{ . | quote }}
{{- end }}
{{- range $v.servedModelNames }}
- --served-model-name
- {{ . | quote }}
{{- end }}
{{- range $i, $_ := $v.apiKeys }}
- --api-key
- {{ printf "$(LLM_FAKES_API_KEY_%d)" $i | quote }}
{{- end }}
{{- if $v.enableAutoToolChoice }}
- --enable-auto-tool-choice
{{- end }}
{{- with $v.toolCallParser }}
- --tool-call-parser
- {{ . | quote }}
{{- end }}
{{- with $v.reasoningParser }}
- --reasoning-parser
- {{ . | quote }}
{{- end }}
- --max-num-seqs
- {{ $v.maxNumSeqs | quote }}
- --max-model-len
- {{ $v.maxModelLen | quote }}
- --ttft
- {{ $v.ttft | quote }}
- --itl
- {{ $v.itl | quote }}
- --jitter
- {{ $v.jitter | quote }}
- --seed
- {{ $v.seed | quote }}
{{- if $v.script }}
- --script
- /etc/llm-fakes/script.yaml
{{- end }}
{{- with $v.fastapi }}
- --fastapi
- {{ . | quote }}
{{- end }}
{{- with $v.sitePackages }}
- --site-packages
- {{ . | quote }}
{{- end }}
{{- if not .controlPlane }}
- --no-control-plane
{{- end }}
{{- if and (hasKey $v "fastPath") (not $v.fastPath) }}
- --no-fast-path
{{- end }}
- --log-limit
- {{ $v.logLimit | quote }}
- --recordings-dir
- {{ $v.recordingsDir | quote }}
- --workers
- {{ $v.workers | quote }}
{{- if $v.startupDelay }}
- --startup-delay
- {{ $v.startupDelay | quote }}
{{- end }}
{{- range $v.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}
