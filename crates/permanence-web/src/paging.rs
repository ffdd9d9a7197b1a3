//! One page of a list held in memory: which rows it shows, how many pages there are, and
//! the links to the pages beside it. A page past the last is "page not found", as a link
//! nobody made.

use crate::error::PageError;

/// The page a link asks for: page 1 when it names none, `None` when it names no page
/// (not a whole number from 1).
pub(crate) fn page_number(asked: Option<&str>) -> Option<usize> {
    match asked {
        None => Some(1),
        Some(text) => text.parse::<usize>().ok().filter(|n| *n >= 1),
    }
}

/// The rows of page `number` (from 1) of `rows`, `size` to a page, and how many pages
/// there are (at least one, so that an empty list is page 1 of 1).
pub(crate) fn one_page<T>(
    rows: Vec<T>,
    number: usize,
    size: usize,
) -> Result<(Vec<T>, usize), PageError> {
    let pages = rows.len().div_ceil(size).max(1);
    if number == 0 || number > pages {
        return Err(PageError::NotFound);
    }
    let shown = rows
        .into_iter()
        .skip((number - 1) * size)
        .take(size)
        .collect();
    Ok((shown, pages))
}

/// The links to the previous and the next page of page `number` of `pages`, when there are.
pub(crate) fn neighbours(
    number: usize,
    pages: usize,
    link: impl Fn(usize) -> String,
) -> (Option<String>, Option<String>) {
    (
        (number > 1).then(|| link(number - 1)),
        (number < pages).then(|| link(number + 1)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_a_list_and_their_neighbours() {
        let rows: Vec<u32> = (1..=7).collect();
        let (shown, pages) = one_page(rows.clone(), 2, 3).expect("page 2");
        assert_eq!((shown, pages), (vec![4, 5, 6], 3));
        let (shown, _) = one_page(rows.clone(), 3, 3).expect("page 3");
        assert_eq!(shown, vec![7]);
        assert!(matches!(
            one_page(rows.clone(), 4, 3),
            Err(PageError::NotFound)
        ));
        assert!(matches!(one_page(rows, 0, 3), Err(PageError::NotFound)));
        let (shown, pages) = one_page(Vec::<u32>::new(), 1, 3).expect("an empty list");
        assert_eq!((shown.len(), pages), (0, 1));
        assert_eq!(page_number(None), Some(1));
        assert_eq!(page_number(Some("3")), Some(3));
        assert_eq!(page_number(Some("0")), None);
        assert_eq!(page_number(Some("x")), None);
        let link = |n: usize| format!("?page={n}");
        assert_eq!(neighbours(1, 3, link), (None, Some("?page=2".into())));
        assert_eq!(neighbours(3, 3, link), (Some("?page=2".into()), None));
        assert_eq!(neighbours(1, 1, link), (None, None));
    }
}
