//! Pingback 1.0's XML-RPC: the `pingback.ping(source, target)` call and its
//! answers, read with quick-xml and written by hand (two fixed shapes).

use quick_xml::Reader;
use quick_xml::escape::{escape, unescape};
use quick_xml::events::Event;

/// The fault codes of the Pingback 1.0 specification.
pub mod fault {
    pub const GENERIC: i32 = 0;
    pub const SOURCE_MISSING: i32 = 16;
    pub const NO_LINK: i32 = 17;
    pub const TARGET_MISSING: i32 = 32;
    pub const TARGET_REFUSED: i32 = 33;
    pub const ALREADY_REGISTERED: i32 = 48;
    pub const ACCESS_DENIED: i32 = 49;
    pub const UPSTREAM: i32 = 50;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub code: i32,
    pub message: String,
}

impl Fault {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    pub source: String,
    pub target: String,
}

/// The call to send.
pub fn call(source: &str, target: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodCall><methodName>pingback.ping</methodName><params>\
         <param><value><string>{}</string></value></param>\
         <param><value><string>{}</string></value></param>\
         </params></methodCall>\n",
        escape(source),
        escape(target)
    )
}

/// A successful answer.
pub fn success(message: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodResponse><params><param><value><string>{}</string>\
         </value></param></params></methodResponse>\n",
        escape(message)
    )
}

/// A fault answer.
pub fn fault_response(f: &Fault) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<methodResponse><fault><value><struct>\
         <member><name>faultCode</name><value><int>{}</int></value></member>\
         <member><name>faultString</name><value><string>{}</string></value></member>\
         </struct></value></fault></methodResponse>\n",
        f.code,
        escape(&f.message)
    )
}

/// What an XML-RPC document holds, flattened: the method name, whether it
/// is a fault, and the text of each `<value>` in order.
#[derive(Default)]
struct Parsed {
    method: Option<String>,
    fault: bool,
    values: Vec<String>,
}

fn parse(xml: &str) -> Result<Parsed, String> {
    let mut reader = Reader::from_str(xml);
    let mut parsed = Parsed::default();
    // The open elements (with whether each has elements inside), and the
    // text gathered since the last tag.
    let mut open: Vec<(String, bool)> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if name == "fault" {
                    parsed.fault = true;
                }
                if let Some(parent) = open.last_mut() {
                    parent.1 = true;
                }
                open.push((name, false));
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::CData(t) => text.push_str(&t.decode().map_err(|e| e.to_string())?),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let entity = format!("&{name};");
                text.push_str(&unescape(&entity).map_err(|e| e.to_string())?);
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let has_elements = open.last().is_some_and(|(_, inner)| *inner);
                match name.as_str() {
                    "methodName" => parsed.method = Some(text.trim().to_owned()),
                    // A typed value (<string>, <int>), or an untyped one: a string.
                    "string" | "int" | "i4" => parsed.values.push(text.clone()),
                    "value" if !has_elements => parsed.values.push(text.clone()),
                    _ => {}
                }
                open.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(parsed)
}

/// Reads an incoming call; a fault explains what is wrong with it.
pub fn parse_call(xml: &str) -> Result<Ping, Fault> {
    let bad = |why: String| Fault::new(fault::GENERIC, why);
    let parsed = parse(xml).map_err(|e| bad(format!("The request is not valid XML-RPC: {e}")))?;
    match parsed.method.as_deref() {
        Some("pingback.ping") => {}
        Some(other) => {
            return Err(Fault::new(
                -32601,
                format!("This server knows only pingback.ping, not {other}."),
            ));
        }
        None => return Err(bad("The request names no method.".into())),
    }
    match parsed.values.as_slice() {
        [source, target] => Ok(Ping {
            source: source.trim().to_owned(),
            target: target.trim().to_owned(),
        }),
        _ => Err(bad(
            "pingback.ping takes two strings: the source and the target address.".into(),
        )),
    }
}

/// Reads the answer to a call we sent: its message, or its fault.
pub fn parse_response(xml: &str) -> Result<String, Fault> {
    let parsed = parse(xml).map_err(|e| {
        Fault::new(
            fault::UPSTREAM,
            format!("the answer is not valid XML-RPC: {e}"),
        )
    })?;
    if parsed.fault {
        let code = parsed
            .values
            .first()
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(fault::GENERIC);
        let message = parsed.values.get(1).cloned().unwrap_or_default();
        return Err(Fault::new(code, message));
    }
    Ok(parsed.values.into_iter().next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_reads_back() {
        let xml = call("https://a.example/p?x=1&y=2", "https://b.example/q");
        assert_eq!(
            parse_call(&xml),
            Ok(Ping {
                source: "https://a.example/p?x=1&y=2".into(),
                target: "https://b.example/q".into(),
            })
        );
    }

    #[test]
    fn untyped_values_are_strings() {
        let xml = "<?xml version=\"1.0\"?><methodCall><methodName>pingback.ping</methodName>\
                   <params><param><value>https://a.example/</value></param>\
                   <param><value> https://b.example/ </value></param></params></methodCall>";
        let ping = parse_call(xml).unwrap();
        assert_eq!(ping.source, "https://a.example/");
        assert_eq!(ping.target, "https://b.example/");
    }

    #[test]
    fn pretty_printed_calls_read_the_same() {
        let xml = "<methodCall>\n  <methodName>pingback.ping</methodName>\n  <params>\n    \
                   <param>\n      <value>\n        <string>https://a.example/</string>\n      \
                   </value>\n    </param>\n    <param><value><string>https://b.example/</string>\
                   </value></param>\n  </params>\n</methodCall>";
        assert_eq!(parse_call(xml).unwrap().target, "https://b.example/");
    }

    #[test]
    fn bad_calls_are_faults_that_say_why() {
        assert_eq!(parse_call("<not xml").unwrap_err().code, fault::GENERIC);
        let other = "<methodCall><methodName>system.listMethods</methodName></methodCall>";
        assert_eq!(parse_call(other).unwrap_err().code, -32601);
        let one = "<methodCall><methodName>pingback.ping</methodName><params><param>\
                   <value><string>x</string></value></param></params></methodCall>";
        assert!(parse_call(one).unwrap_err().message.contains("two strings"));
    }

    #[test]
    fn answers_read_back() {
        assert_eq!(
            parse_response(&success("Thanks & bye")),
            Ok("Thanks & bye".into())
        );
        let f = Fault::new(fault::NO_LINK, "no <link>");
        assert_eq!(parse_response(&fault_response(&f)), Err(f));
    }
}
