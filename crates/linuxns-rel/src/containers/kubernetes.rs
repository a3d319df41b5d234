//! The Kubernetes names among a container's labels or annotations, as the
//! CRI plugin of containerd, CRI-O and Kubernetes' Docker shim write them.

use std::collections::BTreeMap;

use serde_json::Value;

/// The Kubernetes names among a container's annotations or labels.
#[derive(Debug, Default)]
pub(super) struct KubernetesNames {
    pub(super) name: Option<String>,
    pub(super) image: Option<String>,
    pub(super) pod: Option<String>,
    pub(super) pod_namespace: Option<String>,
    pub(super) pod_uid: Option<String>,
}

/// The names the CRI plugin of containerd (`io.kubernetes.cri.*`), CRI-O
/// and Kubernetes' Docker shim (`io.kubernetes.{container,pod}.*`) give.
/// A pod's sandbox (its pause container) is named after the pod.
pub(super) fn kubernetes_names(labels: &BTreeMap<String, String>) -> KubernetesNames {
    let first = |keys: &[&str]| keys.iter().find_map(|k| labels.get(*k).cloned());
    let pod = first(&["io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name"]);
    let sandbox = labels
        .get("io.kubernetes.cri.container-type")
        .is_some_and(|t| t == "sandbox");
    let name = first(&[
        "io.kubernetes.cri.container-name",
        "io.kubernetes.container.name",
    ])
    .or_else(|| pod.clone().filter(|_| sandbox));
    KubernetesNames {
        name,
        image: first(&[
            "io.kubernetes.cri.image-name",
            "io.kubernetes.cri-o.ImageName",
        ]),
        pod,
        pod_namespace: first(&[
            "io.kubernetes.cri.sandbox-namespace",
            "io.kubernetes.pod.namespace",
        ]),
        pod_uid: first(&["io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid"]),
    }
}

/// A JSON object's string values (labels, annotations); others left out.
pub(super) fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}
