//! The eight types of namespace: their `CLONE_NEW*` values and their names.

use std::fmt;
use std::str::FromStr;

/// The eight kinds of Linux namespace, each with its `CLONE_NEW*` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NsType {
    /// `CLONE_NEWCGROUP`: the cgroup root directory.
    Cgroup,
    /// `CLONE_NEWIPC`: System V IPC and POSIX message queues.
    Ipc,
    /// `CLONE_NEWNS`: mount points.
    Mnt,
    /// `CLONE_NEWNET`: network devices, stacks, ports.
    Net,
    /// `CLONE_NEWPID`: process ids.
    Pid,
    /// `CLONE_NEWTIME`: the boot and monotonic clocks (Linux 5.6).
    Time,
    /// `CLONE_NEWUSER`: user and group ids, and capabilities.
    User,
    /// `CLONE_NEWUTS`: host and NIS domain name.
    Uts,
}

impl NsType {
    /// Every type, in the order of their names.
    pub const ALL: [NsType; 8] = [
        NsType::Cgroup,
        NsType::Ipc,
        NsType::Mnt,
        NsType::Net,
        NsType::Pid,
        NsType::Time,
        NsType::User,
        NsType::Uts,
    ];

    /// The `CLONE_NEW*` value that `NS_GET_NSTYPE` returns for this type.
    pub const fn flag(self) -> i32 {
        match self {
            NsType::Cgroup => libc::CLONE_NEWCGROUP,
            NsType::Ipc => libc::CLONE_NEWIPC,
            NsType::Mnt => libc::CLONE_NEWNS,
            NsType::Net => libc::CLONE_NEWNET,
            NsType::Pid => libc::CLONE_NEWPID,
            // libc only has CLONE_NEWTIME on some targets; the value is fixed by the kernel ABI.
            NsType::Time => 0x80,
            NsType::User => libc::CLONE_NEWUSER,
            NsType::Uts => libc::CLONE_NEWUTS,
        }
    }

    /// The type of a `CLONE_NEW*` value, or `None` where it names no single type.
    pub fn from_flag(flag: i32) -> Option<NsType> {
        NsType::ALL.into_iter().find(|t| t.flag() == flag)
    }

    /// The name the kernel uses in `/proc/PID/ns/` and in `type:[inode]` links.
    pub const fn name(self) -> &'static str {
        match self {
            NsType::Cgroup => "cgroup",
            NsType::Ipc => "ipc",
            NsType::Mnt => "mnt",
            NsType::Net => "net",
            NsType::Pid => "pid",
            NsType::Time => "time",
            NsType::User => "user",
            NsType::Uts => "uts",
        }
    }

    /// The type of a name as [`NsType::name`] gives it; see also `str::parse`.
    pub fn from_name(name: &str) -> Option<NsType> {
        NsType::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// A name that is none of the eight of [`NsType::name`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNsType {
    /// The name given.
    pub name: String,
}

impl fmt::Display for UnknownNsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown namespace type '{}'", self.name)
    }
}

impl std::error::Error for UnknownNsType {}

impl FromStr for NsType {
    type Err = UnknownNsType;

    /// The type of a name as [`NsType::name`] gives it.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        NsType::from_name(name).ok_or_else(|| UnknownNsType {
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for NsType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_flags() {
        for t in NsType::ALL {
            assert_eq!(t.name().parse(), Ok(t));
            assert_eq!(t.to_string(), t.name());
            assert_eq!(NsType::from_flag(t.flag()), Some(t));
        }
        let mut names = NsType::ALL.map(NsType::name);
        names.sort_unstable();
        assert_eq!(
            names,
            NsType::ALL.map(NsType::name),
            "in the order of their names"
        );
        let bad = "Net".parse::<NsType>();
        assert_eq!(
            bad.map_err(|e| e.to_string()),
            Err("unknown namespace type 'Net'".into())
        );
        assert_eq!(
            NsType::from_flag(libc::CLONE_NEWNET | libc::CLONE_NEWPID),
            None
        );
    }
}
