//! Main-content extraction on 20 web pages written as five kinds of site publish them
//! (`tests/pages/web/`, made by its `generate.py`): each page's article, read by the HTML
//! reader and written as `extract` writes it in Markdown, against the article as written
//! (`expected/NAME.txt`: the title, then a line a block: a heading, a list item, a table row).
//! Prints, per page and in all, the boilerplate lines left in and the article lines lost
//! (`cargo test -p fieldpack-ingest --test extraction -- --nocapture`), and requires every page
//! to come out exactly as its article.

use std::path::Path;

use fieldpack_ingest::blocks::body_to_markdown;
use fieldpack_ingest::ingest::{read_bytes, Kind, Outcome, Utf8Policy};
use fieldpack_ingest::rules::Rules;

#[test]
fn web_pages_give_their_article_and_nothing_else() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pages/web");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("pages")
        .filter_map(|e| {
            let n = e.ok()?.file_name().to_string_lossy().into_owned();
            n.strip_suffix(".html").map(str::to_string)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 20, "{names:?}");
    let (mut lines_out, mut boilerplate, mut lines_in, mut lost) = (0, 0, 0, 0);
    let mut wrong = Vec::new();
    for name in &names {
        let html = std::fs::read(dir.join(format!("{name}.html"))).expect("page");
        let want = std::fs::read_to_string(dir.join(format!("expected/{name}.txt"))).expect("txt");
        let (want_title, want_body) = want.split_once("\n\n").expect("title, blank line, body");
        let want: Vec<&str> = want_body.lines().collect();
        let a = match read_bytes(
            Kind::Html,
            &html,
            name,
            &Rules::builtin(),
            Utf8Policy::Strict,
        )
        .expect("read")
        {
            Outcome::Article(a, _) => a,
            Outcome::Skipped(why) => panic!("{name}: skipped: {why}"),
        };
        let markdown = body_to_markdown(&a.body());
        let got: Vec<&str> = markdown.lines().filter(|l| !l.is_empty()).collect();
        let left = got.iter().filter(|l| !want.contains(l)).count();
        let missing = want.iter().filter(|l| !got.contains(l)).count();
        eprintln!(
            "{name:12} {:3} lines out, {left:2} boilerplate; {:3} article lines, {missing:2} lost{}",
            got.len(),
            want.len(),
            if a.title == want_title { "" } else { "; title differs" }
        );
        for l in got.iter().filter(|l| !want.contains(l)) {
            eprintln!("    left in: {l}");
        }
        for l in want.iter().filter(|l| !got.contains(l)) {
            eprintln!("    lost:    {l}");
        }
        lines_out += got.len();
        boilerplate += left;
        lines_in += want.len();
        lost += missing;
        if got != want || a.title != want_title {
            wrong.push(name.clone());
        }
    }
    eprintln!(
        "in all: {boilerplate} of {lines_out} lines out are boilerplate ({:.1}%); {lost} of {lines_in} article lines lost ({:.1}%); {} of {} pages exactly their article",
        100.0 * boilerplate as f64 / lines_out.max(1) as f64,
        100.0 * lost as f64 / lines_in.max(1) as f64,
        names.len() - wrong.len(),
        names.len()
    );
    assert!(wrong.is_empty(), "not exactly their article: {wrong:?}");
}
