//! The return reader's refusals: each problem a file can have is reported at its file,
//! table, row and column, with its reason, and never with the value itself.

use permanence_ssda903::import::{ImportError, SourceFile, read_return};

const HEADER: &str = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n";
const EPISODES: &str = "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n";
const AD1: &str = "CHILD,DOB,DATE_INT,DATE_MATCH,FOSTER_CARE,NB_ADOPTR,SEX_ADOPTR,LS_ADOPTR\n";
const ONE_CHILD: &str = "K1,M,01/02/2015,WBRI,,,\n";

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile {
        name: name.to_owned(),
        text: text.to_owned(),
    }
}

/// The problems the reader reports for these files, as the import prints them.
fn refusals(files: &[SourceFile]) -> Vec<String> {
    match read_return(files) {
        Ok(data) => panic!("accepted {} children", data.children.len()),
        Err(errors) => errors.iter().map(ImportError::to_string).collect(),
    }
}

/// A file holding a child and one episode, with `episode` as the episode's values.
fn with_episode(episode: &str) -> Vec<String> {
    refusals(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file("e.csv", &format!("{EPISODES}{episode}\n")),
    ])
}

/// A child with an AD1 row of these adopters.
fn with_adopters(count: &str, sex: &str, legal_status: &str) -> Vec<String> {
    refusals(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file(
            "a.csv",
            &format!("{AD1}K1,01/02/2015,01/03/2024,01/06/2024,0,{count},{sex},{legal_status}\n"),
        ),
    ])
}

fn assert_no_value_repeated(errors: &[String], values: &[&str]) {
    for error in errors {
        for value in values {
            assert!(!error.contains(value), "{error} repeats {value}");
        }
    }
}

#[test]
fn a_good_return_is_read() {
    // The baseline the refusals below differ from by one value each.
    let data = read_return(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file(
            "e.csv",
            &format!("{EPISODES}K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n"),
        ),
        file(
            "a.csv",
            &format!("{AD1}K1,01/02/2015,01/03/2024,01/06/2024,0,2,MF,L11\n"),
        ),
    ])
    .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(data.children.len(), 1);
    assert_eq!(data.children[0].episodes.len(), 1);
    assert!(data.children[0].adoption.is_some());
}

#[test]
fn a_file_with_an_unknown_column_is_not_any_table() {
    let errors = refusals(&[file(
        "h.csv",
        &format!("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB,NICKNAME\n{ONE_CHILD}"),
    )]);
    assert_eq!(
        errors,
        ["h.csv (?) row 1, column *: its columns are not those of any SSDA903 table"]
    );
}

#[test]
fn a_second_file_of_the_same_table_is_refused() {
    let errors = refusals(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file("h2.csv", &format!("{HEADER}K2,F,01/02/2016,WBRI,,,\n")),
    ]);
    assert_eq!(
        errors,
        ["h2.csv (Header) row 1, column *: a second Header table (the first is h.csv)"]
    );
}

#[test]
fn a_row_with_the_wrong_number_of_values_is_refused() {
    let errors = refusals(&[file(
        "h.csv",
        &format!("{HEADER}{ONE_CHILD}K2,F,01/02/2016,WBRI,,\n"),
    )]);
    assert_eq!(
        errors,
        ["h.csv (Header) row 3, column *: has 6 values for 7 columns"]
    );
}

#[test]
fn a_child_reference_must_be_letters_or_digits() {
    let errors = refusals(&[file(
        "h.csv",
        &format!("{HEADER}K-1,M,01/02/2015,WBRI,,,\n"),
    )]);
    assert_eq!(
        errors,
        ["h.csv (Header) row 2, column CHILD: must be 1 to 10 letters or digits"]
    );
    assert_no_value_repeated(&errors, &["K-1"]);
    let errors = refusals(&[file("h.csv", &format!("{HEADER},M,01/02/2015,WBRI,,,\n"))]);
    assert_eq!(errors, ["h.csv (Header) row 2, column CHILD: is required"]);
}

#[test]
fn an_ethnicity_must_be_an_ssda903_code() {
    let errors = refusals(&[file("h.csv", &format!("{HEADER}K1,M,01/02/2015,ZZZZ,,,\n"))]);
    assert_eq!(
        errors,
        ["h.csv (Header) row 2, column ETHNIC: is not an SSDA903 ethnicity code"]
    );
    assert_no_value_repeated(&errors, &["ZZZZ"]);
    let errors = refusals(&[file("h.csv", &format!("{HEADER}K1,M,01/02/2015,,,,\n"))]);
    assert_eq!(errors, ["h.csv (Header) row 2, column ETHNIC: is required"]);
}

#[test]
fn an_end_needs_both_its_date_and_its_reason() {
    let errors =
        with_episode("K1,01/05/2025,S,C1,N1,U6,PR1,01/06/2025,,,PE13 2HH,CB7 9BR,SC100001");
    assert_eq!(
        errors,
        ["e.csv (Episodes) row 2, column REC: is required when DEC is given"]
    );
    let errors = with_episode("K1,01/05/2025,S,C1,N1,U6,PR1,,E11,,PE13 2HH,CB7 9BR,SC100001");
    assert_eq!(
        errors,
        ["e.csv (Episodes) row 2, column DEC: is required when REC is given"]
    );
    let errors =
        with_episode("K1,01/05/2025,S,C1,N1,U6,PR1,01/04/2025,E11,,PE13 2HH,CB7 9BR,SC100001");
    assert_eq!(
        errors,
        ["e.csv (Episodes) row 2, column DEC: is before DECOM"]
    );
    assert_no_value_repeated(&errors, &["01/04/2025", "01/05/2025"]);
}

#[test]
fn the_adopters_sex_must_be_a_code_and_agree_with_their_number_and_legal_status() {
    let errors = with_adopters("2", "XY", "L11");
    assert_eq!(
        errors,
        ["a.csv (AD1) row 2, column SEX_ADOPTR: is not an SSDA903 sex of adopters code"]
    );
    assert_no_value_repeated(&errors, &["XY"]);
    let errors = with_adopters("1", "MF", "L11");
    assert_eq!(
        errors,
        ["a.csv (AD1) row 2, column NB_ADOPTR: does not agree with SEX_ADOPTR"]
    );
    let errors = with_adopters("1", "M1", "L11");
    assert_eq!(
        errors,
        [
            "a.csv (AD1) row 2, column LS_ADOPTR: L11 (a married couple of different sexes) \
             does not fit adopters who are a single male adopter"
        ]
    );
}

#[test]
fn a_child_s_rows_are_not_given_twice() {
    let errors = refusals(&[file(
        "h.csv",
        &format!("{HEADER}{ONE_CHILD}K1,M,01/02/2015,WBRI,,,\n"),
    )]);
    assert_eq!(
        errors,
        ["h.csv (Header) row 3, column CHILD: a second Header row for this child"]
    );
    let row = "K1,01/02/2015,01/03/2024,01/06/2024,0,2,MF,L11\n";
    let errors = refusals(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file("a.csv", &format!("{AD1}{row}{row}")),
    ]);
    assert_eq!(
        errors,
        ["a.csv (AD1) row 3, column CHILD: a second AD1 row for this child"]
    );
    let episode = "K1,01/05/2025,S,C1,N1,U6,PR1,,,,PE13 2HH,CB7 9BR,SC100001\n";
    let errors = refusals(&[
        file("h.csv", &format!("{HEADER}{ONE_CHILD}")),
        file("e.csv", &format!("{EPISODES}{episode}{episode}")),
    ]);
    assert_eq!(
        errors,
        [
            "e.csv (Episodes) row 3, column DECOM: a second episode of this child begins on this date"
        ]
    );
}
