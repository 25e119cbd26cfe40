/// Thrown inside decoding; carries the line and field, the caller adds file and object.
struct FieldError: Error {
    let line: Int?
    let field: String
    let message: String
}
