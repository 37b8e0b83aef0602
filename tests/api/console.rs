//! The console's files as the service serves them (the browser tests in
//! tests/console/ drive the pages themselves in Chromium).

use mailkeys_tests::TestApp;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn the_console_is_served_with_its_headers_and_every_module_it_imports() {
    let app = TestApp::start().await;
    for path in ["/console", "/console/"] {
        let page = app.call(Method::GET, path, None, None).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_eq!(page.headers["cache-control"], "no-cache");
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert_eq!(page.headers["content-security-policy"], mailkeys::console::CONTENT_SECURITY_POLICY);
        assert!(page.text.contains(&format!("/console/assets/{}/main.js", mailkeys::console::build_hash())));
    }

    // Every module the page loads, and every module those import, is served
    // from this build's folder, cacheable for a year.
    let folder = format!("/console/assets/{}/", mailkeys::console::build_hash());
    let mut pending = vec!["main.js".to_string(), "console.css".to_string(), "icon.svg".to_string()];
    let mut seen = Vec::new();
    while let Some(name) = pending.pop() {
        if seen.contains(&name) {
            continue;
        }
        let res = app.call(Method::GET, &format!("{folder}{name}"), None, None).await;
        assert_eq!(res.status, StatusCode::OK, "{name}");
        assert_eq!(res.headers["cache-control"], "public, max-age=31536000, immutable", "{name}");
        assert!(res.headers.contains_key("content-security-policy"), "{name}");
        if name.ends_with(".js") {
            assert_eq!(res.headers["content-type"], "text/javascript; charset=utf-8");
            for import in res.text.split(" from '").skip(1) {
                let target = import.split('\'').next().unwrap();
                let base = name.rsplit_once('/').map(|(dir, _)| dir).unwrap_or("");
                let resolved = match target.strip_prefix("../") {
                    Some(up) => up.to_string(),
                    None => format!("{base}/{}", target.trim_start_matches("./")).trim_start_matches('/').to_string(),
                };
                pending.push(resolved);
            }
        }
        seen.push(name);
    }
    assert!(seen.len() >= 10, "main.js imports the pages: {seen:?}");

    // Another build's folder, index.html as an asset, and unknown paths: 404.
    for path in ["/console/assets/0000000000000000/main.js", &format!("{folder}index.html"), "/console/nope"] {
        assert_eq!(app.call(Method::GET, path, None, None).await.status, StatusCode::NOT_FOUND, "{path}");
    }
    // The API's own answers still are never cached.
    let api = app.admin(Method::GET, "/api/whoami", None).await;
    assert_eq!(api.headers["cache-control"], "no-store");
}
