//! Argon2id password hashes (PHC strings) for admin passwords, computed on a few dedicated
//! threads.

use std::collections::VecDeque;
use std::sync::{Condvar, LazyLock, Mutex};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Which queue a hash waits in: a name that belongs to an administrator goes before unknown
/// names, so a flood of made-up names does not keep the real admin waiting behind it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Priority {
    KnownName = 0,
    UnknownName = 1,
}

type Job = Box<dyn FnOnce() + Send>;

/// Argon2 takes 19 MiB and tens of milliseconds per hash. It runs on one long-lived thread per
/// core: a crowd of sign-in attempts waits in line instead of taking the cores, and each thread
/// reuses its own 19 MiB. (On tokio's blocking pool each attempt could land on a fresh thread,
/// whose malloc arena kept the freed state: 500 attempts left the process at 650 MiB.)
struct HashThreads {
    queues: Mutex<[VecDeque<Job>; 2]>,
    ready: Condvar,
}

static THREADS: LazyLock<&'static HashThreads> = LazyLock::new(|| {
    let threads: &'static HashThreads = Box::leak(Box::new(HashThreads {
        queues: Mutex::new([VecDeque::new(), VecDeque::new()]),
        ready: Condvar::new(),
    }));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for i in 0..cores {
        std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || threads.serve())
            .expect("a thread for password hashes");
    }
    threads
});

impl HashThreads {
    fn serve(&self) {
        loop {
            let job = {
                let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
                loop {
                    if let Some(job) = queues.iter_mut().find_map(VecDeque::pop_front) {
                        break job;
                    }
                    queues = self.ready.wait(queues).unwrap_or_else(|p| p.into_inner());
                }
            };
            // A panicking job drops its answer (the caller sees `HashThreadGone`), not the thread.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
        }
    }

    fn push(&self, priority: Priority, job: Job) {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        queues[priority as usize].push_back(job);
        self.ready.notify_one();
    }
}

/// Runs `work` (a hash or a verification) on the hash threads, after the jobs queued before it
/// with the same or a higher priority.
pub(crate) async fn limited<T: Send + 'static>(
    priority: Priority,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HashThreadGone> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    THREADS.push(
        priority,
        Box::new(move || {
            let _ = answer.send(work());
        }),
    );
    answered.await.map_err(|_| HashThreadGone)
}

/// An Argon2 hash of `password`, computed on the hash threads (never on the async runtime's).
pub(crate) async fn hash_on_threads(password: &str) -> Result<String, HashThreadGone> {
    let password = password.to_string();
    limited(Priority::KnownName, move || hash(&password)).await
}

/// Whether `password` matches the stored hash, checked on the hash threads.
pub(crate) async fn verify_on_threads(
    password: &str,
    stored: &str,
) -> Result<bool, HashThreadGone> {
    let (password, stored) = (password.to_string(), stored.to_string());
    limited(Priority::KnownName, move || verify(&password, &stored)).await
}

/// The job panicked before it answered.
#[derive(Debug, thiserror::Error)]
#[error("the password hash failed")]
pub struct HashThreadGone;

pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Largest Argon2 memory a stored hash may ask for (64 MiB; ours take 19 MiB).
const MAX_BLOCKS: usize = 64 * 1024;

pub fn verify(password: &str, phc: &str) -> bool {
    thread_local! {
        /// The Argon2 state, kept by each thread that verifies: 19 MiB per hash thread, taken
        /// once, instead of one allocation per attempt that the allocator may keep afterwards.
        static MEMORY: std::cell::RefCell<Vec<Block>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    MEMORY.with_borrow_mut(|memory| verify_in(password, phc, memory))
}

/// `verify_password` of the argon2 crate, with the memory given: the stored hash names its
/// algorithm, version, parameters and salt; the outputs are compared in constant time.
fn verify_in(password: &str, phc: &str, memory: &mut Vec<Block>) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let Ok(version) = parsed.version.map(Version::try_from).transpose() else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; Salt::MAX_LENGTH];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
    argon2
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory[..blocks])
        .is_ok()
        && Output::new(&out).is_ok_and(|out| out == expected)
}

/// Spends the time of one verification, so unknown user names answer as slowly as wrong passwords.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash("dummy password for timing"));
    let _ = verify(password, phc);
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn verifies_only_the_right_password() {
        let phc = super::hash("correct horse battery");
        assert!(phc.starts_with("$argon2id$"));
        assert!(super::verify("correct horse battery", &phc));
        assert!(!super::verify("wrong horse battery", &phc));
        assert!(!super::verify("anything", "not a phc string"));
        // Other parameters than ours (as a future default would write) verify as well, and the
        // thread's memory, sized for the larger one before, serves the smaller one after.
        let params = argon2::Params::new(8 * 1024, 3, 2, None).unwrap();
        let other =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let salt = argon2::password_hash::SaltString::generate(&mut rand::rngs::OsRng);
        let phc = other.hash_password(b"staple", &salt).unwrap().to_string();
        assert!(super::verify("staple", &phc));
        assert!(!super::verify("stapler", &phc));
        let argon2i = argon2::Argon2::new(
            argon2::Algorithm::Argon2i,
            argon2::Version::V0x10,
            argon2::Params::default(),
        );
        let phc = argon2i.hash_password(b"staple", &salt).unwrap().to_string();
        assert!(super::verify("staple", &phc));
        assert!(!super::verify("Staple", &phc));
    }

    /// With every hash thread busy, a job for an administrator's name queued after unknown
    /// names runs before them.
    #[test]
    fn an_administrator_s_name_goes_before_unknown_names() {
        use std::sync::{Arc, Condvar, Mutex};
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let started = Arc::new(Mutex::new(0usize));
        for _ in 0..cores {
            let (gate, started) = (gate.clone(), started.clone());
            super::THREADS.push(
                super::Priority::KnownName,
                Box::new(move || {
                    *started.lock().unwrap() += 1;
                    let (open, opened) = &*gate;
                    let mut open = open.lock().unwrap();
                    while !*open {
                        open = opened.wait(open).unwrap();
                    }
                }),
            );
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while *started.lock().unwrap() < cores {
            assert!(
                std::time::Instant::now() < deadline,
                "the hash threads never started"
            );
            std::thread::yield_now();
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let queued = [super::Priority::UnknownName; 5]
            .into_iter()
            .chain([super::Priority::KnownName]);
        for priority in queued {
            let order = order.clone();
            super::THREADS.push(
                priority,
                Box::new(move || order.lock().unwrap().push(priority)),
            );
        }
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
        while order.lock().unwrap().len() < 6 {
            assert!(
                std::time::Instant::now() < deadline,
                "the queued jobs never ran"
            );
            std::thread::yield_now();
        }
        let order = order.lock().unwrap();
        let known = order.iter().position(|p| *p == super::Priority::KnownName);
        assert!(known.is_some_and(|at| at < cores), "{order:?}");
    }

    /// A job that panics answers with an error and leaves its thread serving.
    #[tokio::test]
    async fn a_panicking_job_leaves_the_threads_serving() {
        // More panics than there are threads: each would end its thread without the catch.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        for _ in 0..=cores {
            let failed =
                super::limited(super::Priority::KnownName, || -> u8 { panic!("boom") }).await;
            assert!(failed.is_err());
        }
        for _ in 0..8 {
            let ok = super::limited(super::Priority::UnknownName, || 7u8).await;
            assert_eq!(ok.unwrap(), 7);
        }
    }
}
