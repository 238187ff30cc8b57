/// The Markdown that starts a reply quoting someone: their words as a block
/// quote under a line naming them, then a blank line to write under.
pub fn quote_for_reply(author: &str, body_md: &str) -> String {
    let mut out = format!("> **{author}** wrote:\n>\n");
    for line in body_md.trim().lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_line() {
        assert_eq!(
            quote_for_reply("rose", "one\n\ntwo"),
            "> **rose** wrote:\n>\n> one\n>\n> two\n\n"
        );
    }
}
