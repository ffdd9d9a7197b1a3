//! The page every form is drawn on: a back link, the heading, the error summary, the fields,
//! the button and "Cancel"; and, when they apply, what was kept from a session that ended,
//! what others changed meanwhile, a warning, the facts the form is about, or why there is
//! nothing to do.

use crate::chrome::Chrome;
use crate::form::{FieldError, FormView};
use crate::timeline::TimelineEntry;
use askama::Template;

#[derive(Template)]
#[template(path = "form_page.html")]
pub(crate) struct FormPage {
    pub chrome: Chrome,
    pub back_href: String,
    pub back_text: &'static str,
    /// Above the heading: whose record it is ("Case AB123").
    pub caption: String,
    pub title: &'static str,
    /// Where the form is posted.
    pub action: String,
    /// The names of the values sent back unseen (the case version, the command id).
    pub hidden: &'static [&'static str],
    pub button: &'static str,
    pub form: FormView,
    pub errors: Vec<FieldError>,
    /// What others recorded on the case after the person opened the form.
    pub changes: Vec<TimelineEntry>,
    /// The form was filled from what the person had typed before their session ended.
    pub restored: bool,
    /// Something to know before sending (a case heard with documents missing).
    pub warning: Option<String>,
    /// What the form is about, as a summary list above it.
    pub facts: Vec<(&'static str, String)>,
    /// Shown instead of the form when there is nothing it could do.
    pub nothing_to_do: Option<&'static str>,
    /// Another way to go, under the heading: the link and its words.
    pub aside: Option<(String, &'static str)>,
}

impl FormPage {
    pub fn new(chrome: Chrome, title: &'static str, action: String, form: FormView) -> Self {
        let errors = form.errors.clone();
        Self {
            chrome,
            back_href: "/".to_owned(),
            back_text: "Back",
            caption: String::new(),
            title,
            action,
            hidden: &["command_id"],
            button: "Continue",
            form,
            errors,
            changes: Vec::new(),
            restored: false,
            warning: None,
            facts: Vec::new(),
            nothing_to_do: None,
            aside: None,
        }
    }
}
