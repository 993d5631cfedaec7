//! Shared generator of vendor-shaped benchmark data (included by the bench and the example).

/// One Okta `user.session.start` event, about 1.3 KB, shaped like the System Log API's.
pub fn okta_event(i: u64) -> String {
    format!(
        r#"{{"actor":{{"id":"00u{i:017x}","type":"User","alternateId":"user{u}@example.com","displayName":"User {u}","detailEntry":null}},"client":{{"userAgent":{{"rawUserAgent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36","os":"Windows 10","browser":"CHROME"}},"zone":"null","device":"Computer","id":null,"ipAddress":"{a}.{b}.{c}.{d}","geographicalContext":{{"city":"Los Angeles","state":"California","country":"United States","postalCode":"90001","geolocation":{{"lat":34.05,"lon":-118.24}}}}}},"device":null,"authenticationContext":{{"authenticationProvider":null,"credentialProvider":null,"credentialType":null,"issuer":null,"interface":null,"authenticationStep":0,"externalSessionId":"102bZDNFfWaQSyEZQuDgWt-uQ"}},"displayMessage":"User login to Okta","eventType":"user.session.start","outcome":{{"result":"SUCCESS","reason":null}},"published":"2024-08-{day:02}T{h:02}:{m:02}:{s:02}.353Z","securityContext":{{"asNumber":46562,"asOrg":"performive","isp":"performive llc","domain":null,"isProxy":false}},"severity":"INFO","debugContext":{{"debugData":{{"requestId":"ZruDzH8Aq9yFQ5x9Kr8wGAAAA6s","requestUri":"/api/v1/authn","url":"/api/v1/authn?"}}}},"legacyEventType":"core.user_auth.login_success","transaction":{{"type":"WEB","id":"ZruDzH8Aq9yFQ5x9Kr8wGAAAA6s","detail":{{}}}},"uuid":"{i:08x}-598c-11ef-8478-2b7584bf8d5a","version":"0","request":{{"ipChain":[{{"ip":"{a}.{b}.{c}.{d}","version":"V4","source":null}}]}},"target":null}}"#,
        u = i % 5000,
        a = 20 + i % 200,
        b = (i / 7) % 256,
        c = (i / 11) % 256,
        d = 1 + i % 250,
        day = 1 + i % 28,
        h = i % 24,
        m = (i / 3) % 60,
        s = (i / 5) % 60,
    )
}

/// One Microsoft Graph `signIn`, about 1.2 KB.
pub fn entra_signin(i: u64) -> String {
    format!(
        r#"{{"id":"{i:08x}-6301-4ee5-be62-ff5a759b0100","createdDateTime":"2024-03-{day:02}T{h:02}:15:41.6195833Z","userDisplayName":"User {u}","userPrincipalName":"user{u}@contoso.com","userId":"26be570a-ae82-4189-b4e2-{u:012}","appId":"de8bc8b5-d9f9-48b1-a8ad-b748da725064","appDisplayName":"Office 365 Exchange Online","ipAddress":"{a}.{b}.{c}.{d}","clientAppUsed":"Browser","correlationId":"d79f5bee-5860-4832-928f-3133e22ae912","conditionalAccessStatus":"notApplied","isInteractive":true,"riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes_v2":[],"resourceDisplayName":"Microsoft Graph","resourceId":"00000003-0000-0000-c000-000000000000","status":{{"errorCode":0,"failureReason":null,"additionalDetails":null}},"deviceDetail":{{"deviceId":"","displayName":null,"operatingSystem":"Windows 10","browser":"Edge 80.0.361","isCompliant":null,"isManaged":null,"trustType":null}},"location":{{"city":"Redmond","state":"Washington","countryOrRegion":"US","geoCoordinates":{{"altitude":null,"latitude":47.68050003051758,"longitude":-122.12094116210938}}}},"appliedConditionalAccessPolicies":[]}}"#,
        u = i % 5000,
        a = 20 + i % 200,
        b = (i / 7) % 256,
        c = (i / 11) % 256,
        d = 1 + i % 250,
        day = 1 + i % 28,
        h = i % 24,
    )
}

/// One Entra sign-in as Azure Monitor exports it (diagnostic setting, `SignInLogs`): the Graph
/// `signIn` under `properties`, about 1.7 KB.
pub fn entra_monitor(i: u64) -> String {
    format!(
        r#"{{"time":"2024-03-{day:02}T{h:02}:15:41.6195833Z","resourceId":"/tenants/72f988bf-86f1-41af-91ab-2d7cd011db47/providers/Microsoft.aadiam","operationName":"Sign-in activity","operationVersion":"1.0","category":"SignInLogs","tenantId":"72f988bf-86f1-41af-91ab-2d7cd011db47","resultType":"0","resultSignature":"None","resultDescription":"","durationMs":0,"callerIpAddress":"{a}.{b}.{c}.{d}","correlationId":"d79f5bee-5860-4832-928f-3133e22ae912","identity":"User {u}","Level":4,"location":"US","properties":{signin}}}"#,
        u = i % 5000,
        a = 20 + i % 200,
        b = (i / 7) % 256,
        c = (i / 11) % 256,
        d = 1 + i % 250,
        day = 1 + i % 28,
        h = i % 24,
        signin = entra_signin(i),
    )
}

/// One osquery event-format result line for the `processes` table, about 330 bytes.
pub fn osquery_row(i: u64) -> String {
    format!(
        r#"{{"name":"pack_inventory_processes","hostIdentifier":"HOST{h:05}","calendarTime":"Tue Apr 16 09:12:01 2024 UTC","unixTime":{t},"epoch":0,"counter":{i},"numerics":false,"columns":{{"pid":"{pid}","name":"proc{p}.exe","path":"C:\\Program Files\\App{p}\\proc{p}.exe","cmdline":"proc{p}.exe --flag"}},"action":"added"}}"#,
        h = i % 2000,
        t = 1_713_258_721 + i,
        pid = 1000 + i % 60000,
        p = i % 300,
    )
}

/// Builds a whole file of `n` records: `ndjson`, `array` (Okta API), `graph` (`{"value": [...]}`) or
/// `records` (Azure Monitor to Event Hub, `{"records": [...]}`). Kinds: `okta`, `entra` (Graph
/// `signIn`), `entra-monitor` (Azure Monitor `SignInLogs` record), `osquery`.
pub fn file(kind: &str, framing: &str, n: u64) -> Vec<u8> {
    let record = |i| match kind {
        "okta" => okta_event(i),
        "entra" => entra_signin(i),
        "entra-monitor" => entra_monitor(i),
        _ => osquery_row(i),
    };
    let mut out = Vec::with_capacity(n as usize * 1400);
    match framing {
        "ndjson" => {
            for i in 0..n {
                out.extend_from_slice(record(i).as_bytes());
                out.push(b'\n');
            }
        }
        _ => {
            out.extend_from_slice(match framing {
                "graph" => b"{\"@odata.context\":\"https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns\",\"value\":[\n",
                "records" => b"{\"records\":[\n",
                _ => b"[\n",
            });
            for i in 0..n {
                if i > 0 {
                    out.extend_from_slice(b",\n");
                }
                out.extend_from_slice(record(i).as_bytes());
            }
            out.extend_from_slice(if matches!(framing, "graph" | "records") {
                b"\n]}\n"
            } else {
                b"\n]\n"
            });
        }
    }
    out
}
