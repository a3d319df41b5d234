//! `listContainers()` and `listContainersAsync()`, as plain data.

use std::panic::{catch_unwind, AssertUnwindSafe};

use linuxns_rel::containers::{ContainerOptions, Isolated, Isolation, Listing};
use linuxns_rel::NsType;
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::names::{ContainerEngine, NamespaceState};

/// One namespace of a running container: its inode (null where it could
/// not be read), how the container has it, and the other containers in it.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ContainerNamespace {
    pub ino: Option<f64>,
    pub state: Option<NamespaceState>,
    pub with: Vec<String>,
}

/// The eight namespaces of a running container.
#[napi(object, object_from_js = false)]
pub struct ContainerNamespaces {
    pub cgroup: ContainerNamespace,
    pub ipc: ContainerNamespace,
    pub mnt: ContainerNamespace,
    pub net: ContainerNamespace,
    pub pid: ContainerNamespace,
    pub time: ContainerNamespace,
    pub user: ContainerNamespace,
    pub uts: ContainerNamespace,
}

/// A running container, as `lscontainers --json` prints it.
#[napi(object, use_nullable = true, object_from_js = false)]
pub struct ListedContainer {
    pub engine: ContainerEngine,
    pub id: String,
    pub name: Option<String>,
    pub pid: Option<i32>,
    pub image: Option<String>,
    pub pod: Option<String>,
    pub pod_namespace: Option<String>,
    pub namespaces: ContainerNamespaces,
}

/// What `listContainers()` returns.
#[napi(object, object_from_js = false)]
pub struct ContainerList {
    pub containers: Vec<ListedContainer>,
    pub notes: Vec<String>,
}

fn js_namespace(namespaces: &[Isolation], t: NsType) -> ContainerNamespace {
    match namespaces.iter().find(|n| n.ns_type == t) {
        // Inode numbers stay far below 2^53.
        Some(n) => ContainerNamespace {
            ino: n.ino.map(|ino| ino as f64),
            state: n.state.map(NamespaceState::from),
            with: n.with.clone(),
        },
        None => ContainerNamespace {
            ino: None,
            state: None,
            with: Vec::new(),
        },
    }
}

fn js_listed(listed: Isolated) -> ListedContainer {
    let ns = |t| js_namespace(&listed.namespaces, t);
    let namespaces = ContainerNamespaces {
        cgroup: ns(NsType::Cgroup),
        ipc: ns(NsType::Ipc),
        mnt: ns(NsType::Mnt),
        net: ns(NsType::Net),
        pid: ns(NsType::Pid),
        time: ns(NsType::Time),
        user: ns(NsType::User),
        uts: ns(NsType::Uts),
    };
    let c = listed.container;
    ListedContainer {
        engine: c.engine.into(),
        id: c.id,
        name: c.name,
        pid: c.pid,
        image: c.image,
        pod: c.pod,
        pod_namespace: c.pod_namespace,
        namespaces,
    }
}

fn js_list(listing: Listing) -> ContainerList {
    ContainerList {
        containers: listing.containers.into_iter().map(js_listed).collect(),
        notes: listing.notes,
    }
}

/// The running containers of every engine and how each has its namespaces.
#[napi(catch_unwind)]
pub fn list_containers() -> ContainerList {
    js_list(linuxns_rel::containers::list_containers(
        ContainerOptions::default(),
    ))
}

pub struct Listed;

#[napi]
impl Task for Listed {
    type Output = Listing;
    type JsValue = ContainerList;

    fn compute(&mut self) -> Result<Self::Output> {
        catch_unwind(AssertUnwindSafe(|| {
            linuxns_rel::containers::list_containers(ContainerOptions::default())
        }))
        .map_err(panic_to_error)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(js_list(output))
    }
}

/// `listContainers()` on libuv's thread pool.
#[napi(catch_unwind)]
pub fn list_containers_async() -> AsyncTask<Listed> {
    AsyncTask::new(Listed)
}
