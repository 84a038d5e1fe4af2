# The mails Vigie sends: acknowledgements, replies, changes of a ticket,
# and the notices to refused senders.
mail-ticket-created-subject = Ticket { $number } received: { $title }
mail-ticket-created-body = Hello,

    your request "{ $title }" is recorded as ticket { $number }.
    Reply to this message to add to it: your reply goes onto the ticket.
mail-public-reply-subject = Reply on ticket { $number }: { $title }
mail-public-reply-body = Hello,

    { $author } replied on your ticket { $number }:
mail-assignment-subject = Ticket { $number } taken: { $title }
mail-assignment-body = Hello,

    your ticket { $number } is now handled by { $who }.
mail-escalation-subject = Ticket { $number } escalated: { $title }
mail-escalation-body = Hello,

    ticket { $number } was escalated: { $who }.
mail-sla-warning-subject = Deadline near for ticket { $number }: { $title }
mail-sla-warning-body = Hello,

    the service deadline of ticket { $number } is near: { $who }.
mail-resolved-subject = Ticket { $number } resolved: { $title }
mail-resolved-body = Hello,

    your ticket { $number } is resolved. Solution:
mail-resolved-survey = Tell us how we did: { $link }
mail-reply-hint = To answer, simply reply to this message, keeping [VIGIE#{ $number }] in the subject.
mail-notice-subject = Your message opened no ticket: { $subject }
mail-notice-unknown-sender = Hello,

    this address takes requests from the service's known users only. Your message opened no ticket; please contact your IT department.
mail-notice-not-contact-point = Hello,

    for your establishment, only its point of contact may write to the service: { $names }. Your message opened no ticket; please pass it on to them.
mail-signature = — Vigie service desk
