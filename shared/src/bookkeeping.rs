//! Work a request starts but does not wait for, such as recording a key's
//! last use: it runs beside the request's own calls (no extra sequential
//! round trip) and is joined before the response leaves, so that a Lambda
//! frozen after answering never cuts it off.

use std::cell::RefCell;
use std::future::Future;

use tokio::task::JoinHandle;

tokio::task_local! {
    static DEFERRED: RefCell<Vec<JoinHandle<()>>>;
}

/// Runs `work` beside the current request (joined by [`scope`]); outside a
/// request's scope (tools, tests of the service layer) it runs to its end
/// on a task of its own.
pub fn defer(work: impl Future<Output = ()> + Send + 'static) {
    let handle = tokio::spawn(work);
    let _ = DEFERRED.try_with(|deferred| deferred.borrow_mut().push(handle));
}

/// Runs `request`, then waits for the work it deferred.
pub async fn scope<T>(request: impl Future<Output = T>) -> T {
    DEFERRED
        .scope(RefCell::new(Vec::new()), async {
            let answer = request.await;
            let deferred = DEFERRED.with(|deferred| std::mem::take(&mut *deferred.borrow_mut()));
            for handle in deferred {
                let _ = handle.await;
            }
            answer
        })
        .await
}
