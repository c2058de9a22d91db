//! `--open`: the CodeDeploy console page of a new deployment, in the user's
//! browser. Only when someone is there to see it (stderr is a terminal and
//! `CI` is unset, decided in [`crate::settings`]); otherwise one line says why
//! not. The `webbrowser` crate picks the browser and honours `$BROWSER`.

use ristretto_core::event::Events;

use crate::settings::Browser;

/// Opens `url` when `policy` allows it; says what happened either way.
pub async fn open(policy: Browser, url: &str, events: &Events) {
    match policy {
        Browser::Refused(why) => {
            events.step(format!("not opening the console in a browser: {why}"));
        }
        Browser::Allowed => {
            let target = url.to_owned();
            // A text browser runs in the foreground: keep it off the runtime's threads.
            match tokio::task::spawn_blocking(move || webbrowser::open(&target)).await {
                Ok(Ok(())) => events.step("opened the console in a browser"),
                Ok(Err(e)) => events.step(format!(
                    "cannot open a browser ({e}); set `BROWSER` to choose one"
                )),
                Err(e) => events.step(format!("cannot open a browser ({e})")),
            }
        }
    }
}
