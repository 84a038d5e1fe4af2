//! Satisfaction surveys: when a ticket is resolved its requester may rate
//! the resolution from 1 to 5, with a comment, once.

/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 2000;

/// Why an answer is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SurveyError {
    /// The rating is not 1 to 5.
    #[error("the `rating` must be 1, 2, 3, 4 or 5")]
    Rating,
    /// The comment is too long.
    #[error("the `comment` must have at most {MAX_COMMENT} characters")]
    Comment,
}

/// Checks an answer; returns the trimmed comment (`None` when empty).
pub fn check_answer(rating: i64, comment: &str) -> Result<Option<String>, SurveyError> {
    if !(1..=5).contains(&rating) {
        return Err(SurveyError::Rating);
    }
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT {
        return Err(SurveyError::Comment);
    }
    Ok((!comment.is_empty()).then(|| comment.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_are_one_to_five_and_comments_bounded() {
        assert_eq!(
            check_answer(5, "  Très rapide, merci  "),
            Ok(Some("Très rapide, merci".into()))
        );
        assert_eq!(check_answer(1, " "), Ok(None));
        for bad in [0, 6, -1] {
            assert_eq!(check_answer(bad, ""), Err(SurveyError::Rating));
        }
        assert_eq!(
            check_answer(3, &"x".repeat(MAX_COMMENT + 1)),
            Err(SurveyError::Comment)
        );
    }
}
